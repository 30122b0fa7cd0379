"""After the solver: exact passes over the plan as it stands.

- ``keep_rules``: a route the solver's model timed a little differently (a break, an hours
  limit across a break) is checked exactly; visits it cannot keep, least valuable first,
  are taken out (and offered to the gaps again).
- ``fill_gaps``: PyVRP tries to insert a task next to its geographic neighbours; when those
  are on routes of engineers who may not do it, a route further away with room for it can be
  missed. An exact pass over every qualified engineer and gap (``best_insertions``), most
  valuable tasks first, keeps the solver's visits where they are and adds what fits.
- ``rebalance``: workload balance the search could not reach in one move. Runs of one to
  three consecutive visits move from an engineer above their fair share of the day's work
  (with the weight's slack) to a qualified engineer below theirs (an idle one included),
  when the driving it adds is worth the load it moves at the balance weight's rate; then
  from anyone working over 1.5 times the average to a qualified idle engineer, the least
  driving first, within a budget of extra driving.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import numpy as np

from packs.field_service.dispatch.eligibility import fair_shares, refusal
from packs.field_service.dispatch.insertion import NoSlot, best_insertions
from packs.field_service.dispatch.model import (
    PREFERRED_BONUS_M,
    Engineer,
    Problem,
    Route,
    Task,
)
from packs.field_service.dispatch.pyvrp_model import balance_slack, balance_strength
from packs.field_service.dispatch.schedule import Timing, time_route, time_tasks

# Balance: at a weight of 100, moving a second of work off an engineer above their share
# is worth this many metres of extra driving (at 50, a quarter: ``balance_strength``).
MAX_METRES_PER_SECOND = 6.0
MAX_RUN = 3  # consecutive visits moved at once (an idle engineer's first trip pays for more)
OVERLOAD = 1.5  # times the average load: nobody works this much while a qualified one idles
MAX_IDLE_BUDGET = 0.10  # of the plan's driving, at a weight of 100, to put idle ones to work


def fill_gaps(problem: Problem, routes: list[Route], left_out: list[Task]) -> set[int]:
    """Insert what fits of ``left_out`` into ``routes`` (changed in place); returns the ids."""
    tasks = {task.id: task for task in problem.tasks}
    engineers = {engineer.id: engineer for engineer in problem.engineers}
    by_engineer = {route.engineer_id: index for index, route in enumerate(routes)}
    added: set[int] = set()
    for task in sorted(left_out, key=lambda t: -t.value):
        if task.location is None or (task.pinned_to is not None and not task.claimed):
            continue
        schedule = [
            dataclasses.replace(tasks[v.task_id], pinned_to=r.engineer_id, pinned_start=v.start)
            for r in routes
            for v in r.visits
        ]
        try:
            day = Problem(problem.engineers, schedule, problem.travel)
            [slot] = best_insertions(day, task, 1, explain=False)
        except NoSlot:
            continue
        index = by_engineer[slot.engineer_id]
        visits = [t for t in schedule if t.pinned_to == slot.engineer_id]
        visits.sort(key=lambda t: t.pinned_start)
        new = dataclasses.replace(task, pinned_to=slot.engineer_id, pinned_start=slot.start)
        visits.insert(slot.position, new)
        routes[index] = _timed(problem, engineers[slot.engineer_id], visits, tasks)
        added.add(task.id)
    return added


def keep_rules(problem: Problem, routes: list[Route], broken: set[int]) -> list[Task]:
    """Take out of the routes of the ``broken`` engineers (changed in place) the visits they
    cannot keep every rule with, least valuable first; committed work stays. Returns the
    tasks taken out."""
    tasks = {task.id: task for task in problem.tasks}
    engineers = {engineer.id: engineer for engineer in problem.engineers}
    removed: list[Task] = []
    for index, route in enumerate(routes):
        if route.engineer_id not in broken:
            continue
        engineer = engineers[route.engineer_id]
        order = [tasks[visit.task_id] for visit in route.visits]
        timing = time_tasks(problem.travel, engineer, order)
        while not timing.feasible:
            movable = [t for t in order if t.pinned_to is None]
            if not movable:
                break
            gone = min(movable, key=lambda t: (t.value, -order.index(t)))
            order.remove(gone)
            removed.append(gone)
            timing = time_tasks(problem.travel, engineer, order)
        if removed and len(order) < len(route.visits):
            routes[index] = _marked(timing.route, tasks)
    return removed


def _timed(problem: Problem, engineer, visits: list[Task], originals: dict[int, Task]) -> Route:
    return _marked(time_tasks(problem.travel, engineer, visits).route, originals)


def _marked(route: Route, originals: dict[int, Task]) -> Route:
    for visit in route.visits:  # committed work stays marked as such
        visit.pinned = originals[visit.task_id].pinned_to is not None
    return route


# ---- workload balance ---------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Move:
    giver: int  # engineer indices
    taker: int
    first: int  # the run of the giver's visits [first, last)
    last: int
    position: int  # where it goes in the taker's route
    driving: float  # metres of driving it adds (less a preferred engineer's bonus)
    relief: float  # seconds of load above the fair shares (with slack) it takes away


def rebalance(
    problem: Problem,
    routes: list[Route],
    weight: int,
    deadline: float,
    clock: Callable[[], float] = time.perf_counter,
) -> int:
    """Balance the workload of ``routes`` (changed in place); returns how many visits moved.

    First, runs of visits move from engineers above their fair share of the day's work to
    qualified ones below it while the load moved, at the weight's rate, is worth more than
    the driving added. Then nobody is left idle beside an engineer working more than
    ``OVERLOAD`` times the average while the driving it adds stays within the weight's
    budget (``MAX_IDLE_BUDGET`` of the plan's driving at 100)."""
    if weight <= 0 or len(problem.engineers) < 2:
        return 0
    rate = MAX_METRES_PER_SECOND * balance_strength(weight)
    board = _Board(problem, routes, rate, 1 + balance_slack(weight))
    budget = MAX_IDLE_BUDGET * min(weight, 100) / 100 * sum(r.travel_m for r in routes)
    moved, moves = 0, 0
    limit = 2 * sum(len(route.visits) for route in routes)  # the targets move: no cycling
    while moves < limit and clock() < deadline:
        count = board.improve()
        if not count:
            break
        moved, moves = moved + count, moves + 1
    while moves < limit and clock() < deadline:
        count, driving = board.relieve(budget)
        if not count:
            break
        budget -= driving
        moved, moves = moved + count, moves + 1
    return moved


class _Board:
    """The plan as engineer routes over one travel matrix, with each engineer's load."""

    def __init__(self, problem: Problem, routes: list[Route], rate: float, slack: float):
        self.problem, self.routes, self.rate, self.slack = problem, routes, rate, slack
        self.engineers = list(problem.engineers)
        self.tasks = {task.id: task for task in problem.tasks}
        points = [e.start for e in self.engineers] + [e.end for e in self.engineers]
        placed = [self.tasks[v.task_id] for r in routes for v in r.visits]
        self.point = {task.id: len(points) + i for i, task in enumerate(placed)}
        points += [task.location for task in placed]
        self.metres, self.seconds = problem.travel.matrices(points)
        self.route_of = {route.engineer_id: i for i, route in enumerate(routes)}
        available = [float(e.available_seconds()) for e in self.engineers]
        work = [
            (
                float(task.duration_minutes * 60),
                [k for k, e in enumerate(self.engineers) if refusal(e, task) is None],
            )
            for task in placed
        ]
        self.shares = np.array(fair_shares(available, work))

    def order(self, k: int) -> list[Task]:
        return [self.tasks[visit.task_id] for visit in self._current(k).visits]

    def path(self, k: int, order: list[Task]) -> list[int]:
        n = len(self.engineers)
        return [k, *(self.point[t.id] for t in order), n + k]

    def loads(self) -> np.ndarray:
        return np.array([self._current(k).work_s for k in range(len(self.engineers))], float)

    def targets(self, loads: np.ndarray) -> np.ndarray:
        """The fair shares scaled to the load as it stands, with the weight's slack."""
        return self.shares * loads.sum() / max(1.0, self.shares.sum()) * self.slack

    def improve(self) -> int:
        """Apply the move gaining most (load moved at the rate, less driving); returns how
        many visits it moved (0: none gains)."""
        loads = self.loads()
        targets = self.targets(loads)
        over = [k for k in np.argsort(targets - loads) if loads[k] > targets[k]]
        under = [k for k in range(len(self.engineers)) if loads[k] < targets[k]]
        gains = [
            (self.rate * move.relief - move.driving, move)
            for move in self._moves(over, under, loads, targets)
        ]
        for _gain, move in sorted((g for g in gains if g[0] > 0), key=lambda g: -g[0]):
            if self._apply(move):
                return move.last - move.first
        return 0

    def relieve(self, budget: float) -> tuple[int, float]:
        """Give an idle engineer work of one who works more than ``OVERLOAD`` times the
        average, the least driving first, within ``budget`` metres; (visits moved, metres)."""
        loads = self.loads()
        over = [k for k in range(len(self.engineers)) if loads[k] > OVERLOAD * loads.mean()]
        idle = [k for k in range(len(self.engineers)) if not self._current(k).visits]
        moves = self._moves(over, idle, loads, self.targets(loads))
        for move in sorted((m for m in moves if m.driving <= budget), key=lambda m: m.driving):
            if self._apply(move):
                return move.last - move.first, max(0.0, move.driving)
        return 0, 0.0

    def _moves(self, givers, takers, loads, targets):
        """Each run of each giver's movable visits at its best place in each taker's route,
        by the travel matrix (checked exactly when applied)."""
        paths = {k: np.array(self.path(k, self.order(k))) for k in takers}
        for giver in givers:
            order = self.order(giver)
            path = self.path(giver, order)
            for first in range(len(order)):
                for last in range(first + 1, min(len(order), first + MAX_RUN) + 1):
                    if order[last - 1].pinned_to is not None:
                        break
                    for taker in takers:
                        run = order[first:last]
                        if any(refusal(self.engineers[taker], t) is not None for t in run):
                            continue
                        yield self._placement(
                            giver, taker, path, paths[taker], first, last, loads, targets
                        )

    def _placement(self, giver, taker, path, there, first, last, loads, targets) -> _Move:
        """The run [first, last) of the giver's route at its cheapest place in the taker's."""
        m, s = self.metres, self.seconds
        order = self.order(giver)
        run = order[first:last]
        a, b = path[first], path[last + 1]  # the giver's stops around the run
        head, tail = self.point[run[0].id], self.point[run[-1].id]
        pairs = zip(run, run[1:], strict=False)
        inner_s = sum(int(s[self.point[x.id], self.point[y.id]]) for x, y in pairs)
        added = m[there[:-1], head] + m[tail, there[1:]] - m[there[:-1], there[1:]]
        position = int(np.argmin(added))
        before, after = there[position], there[position + 1]
        saved_m = int(m[a, head]) + int(m[tail, b]) - int(m[a, b])
        saved_s = int(s[a, head]) + int(s[tail, b]) - int(s[a, b]) + inner_s
        added_s = int(s[before, head]) + int(s[tail, after]) - int(s[before, after])
        giving, taking = self.engineers[giver], self.engineers[taker]
        giver_load = loads[giver] - saved_s - _on_site(giving, run)
        taker_load = loads[taker] + added_s + inner_s + _on_site(taking, run)
        relief = _excess(loads[giver], targets[giver]) - _excess(giver_load, targets[giver])
        relief += _excess(loads[taker], targets[taker]) - _excess(taker_load, targets[taker])
        bonus = PREFERRED_BONUS_M * sum(
            (t.preferred == taking.id) - (t.preferred == giving.id) for t in run
        )
        driving = float(added[position]) - saved_m - bonus
        return _Move(giver, taker, first, last, position, driving, relief)

    def _apply(self, move: _Move) -> bool:
        """Make the move if both routes keep every rule and no visit becomes late."""
        order = self.order(move.giver)
        run = order[move.first : move.last]
        kept = order[: move.first] + order[move.last :]
        theirs = self.order(move.taker)
        theirs = theirs[: move.position] + run + theirs[move.position :]
        given, taken = self._time(move.giver, kept), self._time(move.taker, theirs)
        if not (given.feasible and taken.feasible):
            return False
        if _late(taken.route, run) > _late(self._current(move.giver), run):
            return False
        self.routes[self.route_of[self.engineers[move.giver].id]] = _marked(given.route, self.tasks)
        self.routes[self.route_of[self.engineers[move.taker].id]] = _marked(taken.route, self.tasks)
        return True

    def _time(self, k: int, order: list[Task]) -> Timing:
        path = self.path(k, order)
        legs = list(zip(path, path[1:], strict=False))
        metres = [int(self.metres[a, b]) for a, b in legs]
        seconds = [int(self.seconds[a, b]) for a, b in legs]
        return time_route(self.engineers[k], order, metres, seconds)

    def _current(self, k: int) -> Route:
        return self.routes[self.route_of[self.engineers[k].id]]


def _on_site(engineer: Engineer, run: list[Task]) -> int:
    return sum(engineer.duration_seconds(task) for task in run)


def _excess(load: float, target: float) -> float:
    return max(0.0, load - target)


def _late(route: Route, run: list[Task]) -> int:
    """How many of ``run`` are late in ``route``."""
    ids = {task.id for task in run}
    return sum(1 for visit in route.visits if visit.task_id in ids and visit.late_s > 0)
