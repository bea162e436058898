from . import danger_zone_backup, danger_zone_scope, res_company
