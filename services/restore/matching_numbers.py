"""Matching numbers of the restored journal items, made as Odoo's
``account.partial.reconcile._update_matching_number`` makes them: an item of a full
reconciliation has its id; another reconciled item has P and the smallest id of the partial
reconciliations that link it to others, directly or through other items; an item with a
number of the file but no reconciliation here has none (temporary numbers, I..., stay).

The numbers are made of ids, so a restore makes them anew. Odoo's method reads every
reconciled item and its reconciliations through the ORM (a third of the restore's memory at
1,000,000 items) and looks the file's numbers up in the whole table; here the graph is made
from the restored reconciliations alone and written with one statement.
"""

from odoo.tools import SQL

from ..sql import LineStream, empty_temporary_table, fetched_in_batches, in_ranges


def matching_numbers(partials):
    """(journal item, the smallest id of the partial reconciliations of its graph), by item,
    from the iterable ``partials``: (id, debit item, credit item).

    >>> list(matching_numbers([(7, 1, 2), (3, 2, 5), (9, 8, 9), (4, 9, 10)]))
    [(1, 3), (2, 3), (5, 3), (8, 4), (9, 4), (10, 4)]
    """
    parent, smallest = {}, {}  # item -> its parent in the graph; a root -> its smallest partial

    def root(item):
        top = item
        while parent[top] != top:
            top = parent[top]
        while parent[item] != top:  # shorten the path for the next look-ups
            parent[item], item = top, parent[item]
        return top

    for partial_id, debit, credit in partials:
        for item in (debit, credit):
            if item not in parent:
                parent[item], smallest[item] = item, partial_id
        first, second = root(debit), root(credit)
        if first != second:
            parent[second] = first
            smallest[first] = min(smallest[first], smallest.pop(second))
        smallest[first] = min(smallest[first], partial_id)
    return ((item, smallest[root(item)]) for item in sorted(parent))


def renumber_matchings(cr, line_ranges, partial_ranges):
    """Write the matching numbers of the restored journal items from the restored partial
    reconciliations (each named by the ranges of their ids here, ``IdMap.value_ranges``)."""
    restored = in_ranges(SQL.identifier("id"), partial_ranges)
    partials = SQL(
        "SELECT id, debit_move_id, credit_move_id FROM account_partial_reconcile WHERE %s ORDER BY id",
        restored,
    )
    numbers = matching_numbers(fetched_in_batches(cr, partials))
    empty_temporary_table(cr, "danger_zone_matchings", "line integer, number integer")
    lines = (f"{line}\t{number}\n" for line, number in numbers)
    cr.copy_expert("COPY danger_zone_matchings (line, number) FROM STDIN", LineStream(lines), size=1 << 20)
    cr.execute(
        """UPDATE account_move_line l
              SET matching_number = CASE WHEN l.full_reconcile_id IS NOT NULL
                                         THEN l.full_reconcile_id::text ELSE 'P' || m.number END
             FROM danger_zone_matchings m
            WHERE l.id = m.line"""
    )
    cr.execute(
        SQL(
            """UPDATE account_move_line l SET matching_number = NULL
                WHERE %s AND l.matching_number IS NOT NULL
                  AND l.matching_number NOT LIKE %s
                  AND NOT EXISTS (SELECT 1 FROM danger_zone_matchings m WHERE m.line = l.id)""",
            in_ranges(SQL.identifier("l", "id"), line_ranges),
            "I%",  # temporary numbers stay
        )
    )
