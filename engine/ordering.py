"""The order in which a restore writes models, from the references between them.

A record can only be inserted after the records its *required* references
point to. Optional references that point forward (or to the same model) are
written afterwards, once every record exists: they are *deferred*.
"""

from .errors import CycleError


def insertion_order(dependencies, sizes=None):
    """Order models so that each follows the models its references point to.

    ``dependencies`` maps each model to its references to models being
    inserted: ``{model: {field: (relation, required)}}``. References to
    models outside the mapping are ignored (they exist already).

    Required references always point backwards. Optional ones do too where
    the graph allows, so that few references are written afterwards; in a
    cycle, the optional references that point forward are *deferred*.

    ``sizes`` (model -> how many records it has), when given, breaks a cycle
    where it costs least: of the models that can go, the one whose references
    still pointing forward hold the fewest values (fields x records), since
    each is written a second time. Without it, the first in alphabetical order.

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
    order = _preferred_order(dependencies, sizes)
    position = {model: index for index, model in enumerate(order)}
    deferred = sorted(
        (model, field)
        for model, references in dependencies.items()
        for field, (relation, _required) in references.items()
        if relation in position and position[relation] >= position[model]
    )
    return order, deferred


def _preferred_order(dependencies, sizes):
    """Repeatedly take the first model whose references all point to models taken already; when
    only cycles remain, a model whose *required* references do: the cheapest to defer."""
    needs, needs_required, forward = {}, {}, {}
    for model, references in dependencies.items():
        targets = [(relation, required) for relation, required in references.values()]
        forward[model] = [r for r, _required in targets if r in dependencies and r != model]
        needs[model] = set(forward[model])
        needs_required[model] = {
            r for r, required in targets if required and r in dependencies and r != model
        }
    remaining, order = set(dependencies), []
    while remaining:
        ready = [model for model in remaining if not needs[model] & remaining]
        if ready:
            model = min(ready)
        else:
            ready = [model for model in remaining if not needs_required[model] & remaining]
            if not ready:
                stuck = sorted(model for model in remaining if needs_required[model] & remaining)
                raise CycleError(f"required references form a cycle between: {', '.join(stuck)}")
            model = min(ready, key=lambda m: (_deferral_cost(m, forward[m], remaining, sizes), m))
        order.append(model)
        remaining.discard(model)
    return order


def _deferral_cost(model, forward, remaining, sizes):
    """How many values taking ``model`` now would leave to write afterwards (0 without sizes)."""
    if sizes is None:
        return 0
    return sizes.get(model, 0) * sum(relation in remaining for relation in forward)
