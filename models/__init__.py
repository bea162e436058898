from . import danger_zone_backup, danger_zone_scope, ir_http, res_company
