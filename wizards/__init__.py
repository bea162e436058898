from . import danger_zone_ownership_wizard
