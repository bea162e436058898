"""The order in which a restore writes models, from the references between them.

A record can only be inserted after the records its *required* references
point to. Optional references that point forward (or to the same model) are
written afterwards, once every record exists: they are *deferred*.
"""

import heapq


class CycleError(ValueError):
    """Required references form a cycle: no insertion order exists."""


def insertion_order(dependencies):
    """Order models so that each follows the models its required references point to.

    ``dependencies`` maps each model to its references to models being
    inserted: ``{model: {field: (relation, required)}}``. References to
    models outside the mapping are ignored (they exist already).

    Returns ``(order, deferred)``: the models in insertion order (ties in
    alphabetical order, so the result is stable), and the sorted
    ``(model, field)`` pairs to write once all records exist.

    >>> order, deferred = insertion_order({
    ...     "account.move": {"partner_id": ("res.partner", False)},
    ...     "account.move.line": {"move_id": ("account.move", True)},
    ...     "res.partner": {"parent_id": ("res.partner", False)},
    ...     "res.partner.bank": {"partner_id": ("res.partner", True)},
    ... })
    >>> order
    ['account.move', 'account.move.line', 'res.partner', 'res.partner.bank']
    >>> deferred
    [('account.move', 'partner_id'), ('res.partner', 'parent_id')]
    """
    order = _required_order(dependencies)
    position = {model: index for index, model in enumerate(order)}
    deferred = sorted(
        (model, field)
        for model, references in dependencies.items()
        for field, (relation, _required) in references.items()
        if relation in position and position[relation] >= position[model]
    )
    return order, deferred


def _required_order(dependencies):
    """Kahn's algorithm over required references between distinct models."""
    needs = {model: set() for model in dependencies}
    needed_by = {model: set() for model in dependencies}
    for model, references in dependencies.items():
        for relation, required in references.values():
            if required and relation in dependencies and relation != model:
                needs[model].add(relation)
                needed_by[relation].add(model)
    ready = [model for model, required in needs.items() if not required]
    heapq.heapify(ready)
    order = []
    while ready:
        model = heapq.heappop(ready)
        order.append(model)
        for dependent in needed_by[model]:
            needs[dependent].discard(model)
            if not needs[dependent]:
                heapq.heappush(ready, dependent)
    if len(order) < len(dependencies):
        stuck = sorted(model for model, required in needs.items() if required)
        raise CycleError(f"required references form a cycle between: {', '.join(stuck)}")
    return order
