"""When a failed delivery is tried again, when it is parked, and an endpoint's circuit."""

from datetime import UTC, datetime, timedelta

from services.notify.domain.delivery import Circuit, CircuitState, RetryPolicy

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
POLICY = RetryPolicy(base_seconds=1, max_seconds=600, horizon=timedelta(hours=24))


def test_back_off_doubles_with_jitter_up_to_its_cap() -> None:
    delays = [(POLICY.next_attempt(n, NOW, NOW, 0.5) - NOW).total_seconds() for n in (1, 2, 3, 11, 20)]  # type: ignore[operator]
    assert delays == [1, 2, 4, 600, 600]
    low, high = (POLICY.next_attempt(3, NOW, NOW, j) for j in (0.0, 0.999))
    assert low is not None and high is not None
    assert (low - NOW).total_seconds() == 2 and 5.99 < (high - NOW).total_seconds() < 6


def test_retry_after_is_waited_for_even_beyond_the_back_off() -> None:
    at = POLICY.next_attempt(1, NOW, NOW, 0.5, retry_after=1200)
    assert at == NOW + timedelta(seconds=1200)


def test_past_the_horizon_a_job_is_parked() -> None:
    assert POLICY.next_attempt(30, NOW, NOW + timedelta(hours=23, minutes=55), 0.5) is None
    assert POLICY.next_attempt(30, NOW, NOW + timedelta(hours=23), 0.5) is not None


def test_the_circuit_opens_at_the_threshold_probes_after_the_pause_and_pauses_longer_each_time() -> None:
    pause, most = timedelta(seconds=30), timedelta(minutes=10)
    circuit = Circuit()
    for _ in range(4):
        circuit = circuit.failed(NOW, 5, pause, most)
    assert circuit.state(NOW) is CircuitState.CLOSED
    circuit = circuit.failed(NOW, 5, pause, most)
    assert circuit.state(NOW) is CircuitState.OPEN and circuit.open_until == NOW + pause
    assert circuit.state(NOW + pause) is CircuitState.HALF_OPEN  # one probe may go
    again = circuit.failed(NOW + pause, 5, pause, most)  # the probe failed
    assert again.open_until == NOW + pause + 2 * pause
    assert again.succeeded().state(NOW) is CircuitState.CLOSED
