# Run through `odoo-bin shell`: print the tables a backup of Bench Co reads.
company = env["res.company"].search([("name", "=", "Bench Co")])
scope = env["danger.zone.scope"]._danger_zone_resolve(company)
tables = set()
for model in scope.data_models():
    for field in scope.data_fields(model).values():
        if field.type == "many2many":
            tables.add(field.relation)
    tables.add(env[model]._table)
print("BENCH_COMPANY", company.id)
print("BENCH_TABLES", " ".join(sorted(tables)))
