"""Voter files: the North Carolina layout, vendor CSVs, synthetic files and normalisation."""
