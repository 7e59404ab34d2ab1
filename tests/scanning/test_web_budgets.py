"""The scan page's pure pickup decisions: codes, the guessing budgets, charging live codes."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.scanning import pickup
from edge.scanning.pickup import Budget, Guesses, PickupScan

BUDGET = Budget(per_address=3, overall=6, window=60.0)


def admitted(attempts: list[tuple[str, float]], budget: Budget = BUDGET) -> list[tuple[str, float]]:
    """Replay wrong guesses (address, time); those the budgets let through."""
    g, out = Guesses(), []
    for client, now in attempts:
        if pickup.wait_before_guess(g, budget, client, now) == 0:
            g = pickup.after_wrong(g, budget, client, now)
            out.append((client, now))
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([f"10.0.0.{i}" for i in range(40)]),
                          st.floats(0, 1.0)), max_size=300))
def test_no_window_of_a_minute_ever_holds_more_guesses_than_the_budgets(steps):
    now, attempts = 0.0, []
    for client, gap in steps:
        now += gap
        attempts.append((client, now))
    through = admitted(attempts)
    for _, start in through:
        inside = [(c, t) for c, t in through if start <= t < start + BUDGET.window]
        assert len(inside) <= BUDGET.overall
        for client in {c for c, _ in inside}:
            assert sum(1 for c, _ in inside if c == client) <= BUDGET.per_address


def test_a_whole_subnet_gets_the_overall_budget_and_no_more_in_two_hours():
    attempts = [(f"192.168.1.{i}", minute * 60.0 + i / 1000)
                for minute in range(120) for i in range(1, 255)]
    assert len(admitted(attempts)) == 120 * BUDGET.overall


def test_the_wait_ends_when_the_oldest_guess_leaves_the_window():
    g = Guesses()
    for t in (0.0, 10.0, 20.0):
        g = pickup.after_wrong(g, BUDGET, "a", t)
    assert pickup.wait_before_guess(g, BUDGET, "a", 30.0) == 30.0
    assert pickup.wait_before_guess(g, BUDGET, "b", 30.0) == 0.0
    assert pickup.wait_before_guess(g, BUDGET, "a", 60.0) == 0.0


def test_the_address_table_stays_bounded():
    g = Guesses()
    for i in range(pickup.MAX_ADDRESSES + 100):
        g = pickup.after_wrong(g, Budget(1, 10_000, 3600.0), f"addr-{i}", float(i))
    assert len(g.by_address) == pickup.MAX_ADDRESSES and "addr-0" not in g.by_address


def test_a_new_code_is_six_digits_and_never_one_on_record():
    draws = iter([42, 42, 7])
    assert pickup.new_code({"000042"}, lambda n: next(draws)) == "000007"
    assert all(len(c) == 6 and c.isdigit() for c in (pickup.new_code(()) for _ in range(50)))


def test_a_code_is_read_as_typed_with_spaces_or_dashes_only():
    assert pickup.read_code(" 123 456 ") == pickup.read_code("123-456") == "123456"
    for typed in ("12345", "1234567", "12a456", "١٢٣٤٥٦", "123456" + " " * 40 + "7"):
        assert pickup.read_code(typed) is None


def test_a_wrong_guess_is_charged_to_every_live_code_and_a_code_dies_at_the_limit():
    scans = {"a": PickupScan("a", 0, "111111"), "b": PickupScan("b", 0, "222222", spent=True),
             "c": PickupScan("c", 0, "")}
    for _ in range(3):
        scans = pickup.charge(scans, per_scan=3)
    assert [s.wrong for s in scans.values()] == [3, 0, 0]
    assert pickup.match(scans.values(), "111111", per_scan=3) is None
    assert pickup.match(scans.values(), "111111", per_scan=4) == scans["a"]
    assert pickup.match(scans.values(), "222222", per_scan=4) is None  # spent
