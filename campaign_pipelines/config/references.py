"""Names a campaign config uses that must exist elsewhere in it, checked when it is loaded.

Each section validates itself (``links`` its windows and regions, a layer its file field); what
crosses sections is checked here, after the whole file has been read: the routes a wave texts,
the district layers an audience filter, a rule's ``by`` and the holdout strata are drawn from.
A wrong name would otherwise surface only when the asset that reads it runs, after the voter
file has been loaded and the links minted.

``problems`` returns (location, message) pairs; the loader turns each location into the file's
line, like any other config error.
"""

from __future__ import annotations

from campaign_pipelines.config.links import SPECIAL_SELECTORS
from campaign_pipelines.config.models import CampaignConfig

Location = tuple[str | int, ...]


def problems(config: CampaignConfig) -> list[tuple[Location, str]]:
    # Imported here: the routing package reads the config package when it is imported.
    from campaign_pipelines.routing.rules import CATALOG_ATTRIBUTE, REGION_ATTRIBUTE

    # What a rule may pick its destination ``by`` besides a district layer.
    selectable = (*SPECIAL_SELECTORS, REGION_ATTRIBUTE, CATALOG_ATTRIBUTE)
    layers = [layer.name for layer in config.districts.layers]
    known_layers = f"the configured layers are {', '.join(layers)}"
    found: list[tuple[Location, str]] = []

    def unknown_layer(loc: Location, name: str) -> None:
        found.append((loc, f"no district layer named {name!r}; {known_layers}"))

    selectors = ", ".join(selectable)
    for name, route in config.links.routes.items():
        for index, rule in enumerate(route.rules):
            if rule.by is not None and rule.by not in (*selectable, *layers):
                message = f"{rule.by!r} is neither a district layer nor one of {selectors}"
                loc = ("links", "routes", name, "rules", index, "by")
                found.append((loc, f"{message}; {known_layers}"))

    defined = ", ".join(sorted(config.links.routes)) or "none"
    messaging = config.messaging
    for w, wave in enumerate(messaging.waves):
        for r, route in enumerate(wave.routes):
            if route not in config.links.routes:
                message = f"wave {wave.id!r} texts route {route!r}, not in links.routes"
                found.append(
                    (("messaging", "waves", w, "routes", r), f"{message}; defined: {defined}")
                )
        for a, audience in enumerate(wave.audience):
            if audience.layer not in layers:
                unknown_layer(("messaging", "waves", w, "audience", a, "layer"), audience.layer)

    if messaging.waves and messaging.holdout_stratum_layer not in layers:
        unknown_layer(("messaging", "holdout_stratum_layer"), messaging.holdout_stratum_layer)
    return found
