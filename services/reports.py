"""The jobs' reports as text, for the UI and the command line."""


def format_restore_report(report):
    """A restore's report, or a pre-flight check's."""
    lines = []
    for title, key in (("Errors", "errors"), ("Warnings", "warnings")):
        if report.get(key):
            lines += [f"{title}:", *(f"  - {item}" for item in report[key])]
    for title, key in (("In the backup", "counts"), ("Deleted first", "deleted"), ("Restored", "restored")):
        if report.get(key):
            lines.append(f"{title}:")
            lines += [f"  {count:>8}  {model}" for model, count in sorted(report[key].items())]
    if report.get("books"):
        lines += format_books(report["books"])
    if report.get("stock"):
        lines += format_stock(report["stock"])
    if report.get("skipped"):
        lines.append(f"Skipped ({len(report['skipped'])}):")
        lines += [f"  {item['model']} {item['id']}: {item['reason']}" for item in report["skipped"]]
    return "\n".join(lines)


def format_books(books):
    """The books as restored, which matched the file's."""
    lines = [f"Books verified against the file ({books['entries']} posted entries):"]
    if books.get("left_out"):
        lines.append(f"  ({books['left_out']} entries skipped in part are not compared)")
    lines.append("  Trial balance:")
    lines += [
        f"    {code:<10} {name[:40]:<40} {debit:>15,.2f} {credit:>15,.2f}"
        for code, name, debit, credit in books["accounts"]
    ]
    if books.get("open"):
        count = books.get("open_count", len(books["open"]))
        lines.append(f"  Open invoices and bills: {count}, {books.get('open_total', 0.0):,.2f} left to pay")
        lines += [
            f"    {name[:20]:<20} {partner[:30]:<30} {residual:>15,.2f}"
            for name, partner, residual in books["open"]
        ]
        if count > len(books["open"]):
            lines.append(f"    ... and {count - len(books['open'])} more")
    if books.get("partners"):
        lines.append("  Receivables and payables:")
        lines += [f"    {name[:51]:<51} {balance:>15,.2f}" for name, balance in books["partners"]]
    return lines


def format_stock(stock):
    """The stock as restored, which matched the file's."""
    lines = [f"Stock verified against the file ({stock['quants']} quants):"]
    if stock.get("quantities"):
        lines.append("  On hand:")
        lines += [
            f"    {product[:40]:<40} {location[:30]:<30} {quantity:>12,.2f}"
            for product, location, quantity in stock["quantities"]
        ]
    if stock.get("valuation"):
        lines.append("  Valuation:")
        lines += [
            f"    {product[:40]:<40} {quantity:>12,.2f} {value:>15,.2f}"
            for product, quantity, value in stock["valuation"]
        ]
    return lines


def format_deletion_report(report):
    """A deletion's report: users moved and archived, records deleted."""
    lines = []
    for title, key in (("Users moved to another company", "moved"), ("Users archived", "archived")):
        if report.get(key):
            lines += [f"{title}:", *(f"  - {login}" for login in report[key])]
    if report.get("counts"):
        lines += ["Deleted:", format_counts(report["counts"])]
    return "\n".join(lines)


def format_counts(counts):
    """Records per model, one per line, and their total."""
    lines = [f"  {count:>8}  {model}" for model, count in sorted(counts.items())]
    lines.append(f"  {sum(counts.values()):>8}  records in all")
    return "\n".join(lines)
