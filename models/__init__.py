from . import danger_zone_backup, danger_zone_scope, ir_attachment, ir_http, res_company
