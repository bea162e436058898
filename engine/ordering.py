"""The order in which a restore writes models, from the references between them.

A record can only be inserted after the records its *required* references
point to. Optional references that point forward (or to the same model) are
written afterwards, once every record exists: they are *deferred*.
"""

from .errors import CycleError


def insertion_order(dependencies):
    """Order models so that each follows the models its references point to.

    ``dependencies`` maps each model to its references to models being
    inserted: ``{model: {field: (relation, required)}}``. References to
    models outside the mapping are ignored (they exist already).

    Required references always point backwards. Optional ones do too where
    the graph allows, so that few references are written afterwards; in a
    cycle, the optional references that point forward are *deferred*.

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
    ['res.partner', 'account.move', 'account.move.line', 'res.partner.bank']
    >>> deferred
    [('res.partner', 'parent_id')]
    """
    order = _preferred_order(dependencies)
    position = {model: index for index, model in enumerate(order)}
    deferred = sorted(
        (model, field)
        for model, references in dependencies.items()
        for field, (relation, _required) in references.items()
        if relation in position and position[relation] >= position[model]
    )
    return order, deferred


def _preferred_order(dependencies):
    """Repeatedly take the first model whose references all point to models taken already; when
    only cycles remain, the first model whose *required* references do."""
    needs, needs_required = {}, {}
    for model, references in dependencies.items():
        targets = [(relation, required) for relation, required in references.values()]
        needs[model] = {r for r, _required in targets if r in dependencies and r != model}
        needs_required[model] = {
            r for r, required in targets if required and r in dependencies and r != model
        }
    remaining, order = set(dependencies), []
    while remaining:
        ready = [model for model in remaining if not needs[model] & remaining]
        ready = ready or [model for model in remaining if not needs_required[model] & remaining]
        if not ready:
            stuck = sorted(model for model in remaining if needs_required[model] & remaining)
            raise CycleError(f"required references form a cycle between: {', '.join(stuck)}")
        model = min(ready)
        order.append(model)
        remaining.discard(model)
    return order
