"""Synthetic North Carolina voter files: fictional people at real places.

A synthetic file has the NCSBE ``ncvoter`` layout (the 67 official columns, then ``latitude``,
``longitude`` and ``sms_opt_in``), tab-delimited, one header row, quoted only where the csv rules
require it. Every value is invented except the geography:

* Each row gets a home county, weighted by the county's number of election-day polling places (a
  stand-in for population), and a point drawn uniformly inside that county's polygon, in whole
  micro-degrees so the six written decimals are exactly the point that was placed.
* The file's own district columns are filled by ``geopandas.sjoin`` of those points against the
  campaign config's real polygon layers, a different code path from the product's assignment, so
  the two can be cross-checked. Codes are unpadded numbers, as NCSBE writes them ("4", not "04").
* Precincts come from the real voting-district polygons where the config has them; elsewhere a
  plausible code is derived from a 0.04 degree grid cell of the county (``RR-CC``).

Real files are messy, so these are too, in exact, seed-determined amounts: about 1 % duplicate
registrations (an ncid's older, inactive or removed row in another county beside its newer active
one), 1 % rows without coordinates, 1.5 % rows carrying a stale legislative district code (a
different district than the polygons say, as after redistricting), 10 % without a phone, 0.5 %
with a phone too short to dial, accented latin-1 names, apostrophes, quoted nicknames, and a few
addresses holding a tab, a double quote or a newline. ``count`` is the number of data rows;
duplicates are part of it, so the file holds ``count - duplicate_rows`` distinct voters.

Phone numbers are all fictional: a US area code followed by 555-0100 to 555-0199. Voters get
distinct numbers while the range lasts (NC area codes first, then about 350 out-of-state ones,
some 36,000 numbers in all), except about 3 % who share a household number; beyond that, numbers
are shared as evenly as they can be (see ``phones``). The same ``(count, seed)`` always gives a
byte-identical file.

Modules, in the order a file is built: ``geography`` (polygons and towns), ``row_plan`` (who
each row is, in which county), ``placement`` (a point per row and its codes), ``names``,
``people`` and ``phones`` (who each voter is), ``messiness``, ``registration`` (statuses and
dates), ``columns`` (everything joined in file order), ``writer`` and ``summary``; ``generate``
runs them in that order off one seeded generator, so reordering any step changes every file.
"""

from campaign_pipelines.voterfile.synth.generate import write_synthetic_voter_file
from campaign_pipelines.voterfile.synth.summary import SynthSummary
from campaign_pipelines.voterfile.synth.writer import SYNTH_ENCODINGS

__all__ = ["SYNTH_ENCODINGS", "SynthSummary", "write_synthetic_voter_file"]
