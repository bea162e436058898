"""What the three closures (a backup's scope, a restore's purge, a deletion) share.

Each fills a temporary table round by round, each round following the
references of the rows the previous round added, until a round adds nothing.
"""

from odoo.tools import SQL

MAX_ROUNDS = 100


def close(follow, first_round=1, min_rounds=1):
    """Call ``follow(round_number)`` round after round until one adds nothing, once at least
    ``min_rounds`` rounds ran; return the number of that empty round.

    ``follow`` returns how many rows its round added.

    >>> rows = [3, 1, 0, 5]
    >>> close(lambda n: rows[n - 1])
    3
    >>> close(lambda n: 0, first_round=4, min_rounds=2)
    5
    """
    last_round = first_round + MAX_ROUNDS
    for round_number in range(first_round, last_round):
        if not follow(round_number) and round_number >= first_round + min_rounds - 1:
            return round_number
    raise ValueError(f"the company's rows were still growing after {MAX_ROUNDS} rounds")


def identity_partner(column, except_company_id=None):
    """Condition: ``column`` is a user's partner or a company's (but ``except_company_id``'s).

    Such partners are identity, never business data: no closure collects them.
    """
    companies = (
        SQL("SELECT partner_id FROM res_company WHERE id != %s", except_company_id)
        if except_company_id
        else SQL("SELECT partner_id FROM res_company")
    )
    return SQL("(%s IN (SELECT partner_id FROM res_users) OR %s IN (%s))", column, column, companies)
