"""One running recorder: follows MQTT, records parking, closes due stays, freezes days."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import DBAPIError

import curbside.adapters.decoders.formats  # noqa: F401 - registers every payload format
from curbside.adapters.decoders.registry import subscriptions
from curbside.adapters.influx.client import InfluxClient, InfluxError
from curbside.adapters.influx.retention import ensure_retention_logged
from curbside.adapters.influx.rollups import HourlyRollup
from curbside.adapters.influx.sanitation_history import SanitationHistoryReader
from curbside.adapters.intake import Intake
from curbside.adapters.log_throttle import Throttle
from curbside.adapters.mqtt.event_publisher import EventPublisher
from curbside.adapters.records.engine import is_outage, record_engine, session_factory
from curbside.adapters.records.lease import Lease
from curbside.adapters.records.migrate import upgrade
from curbside.adapters.records.parking_store import latest_report_time
from curbside.adapters.records.sanitation_store import frozen_days
from curbside.city.registry import City
from curbside.config.rules import clearance_rules, session_rules
from curbside.config.settings import Settings
from curbside.domain.alerts.document import TOPIC_PREFIX as ALERTS_PREFIX
from curbside.recorder.cases import CaseRecorder, NotAnAlert
from curbside.recorder.clearance import ClearanceRecorder
from curbside.recorder.follower import Delivered, Follower
from curbside.recorder.metrics import RecorderMetrics
from curbside.recorder.overdue import mark_published, notice_overdue, unpublished
from curbside.recorder.parking import ParkingRecorder, StatusReport
from curbside.recorder.plates import FILTER as PLATES_FILTER
from curbside.recorder.plates import BadPlateMessage, bind_all, is_plate_topic, plate_event
from curbside.recorder.retention import apply_retention
from curbside.vocabulary.alerts import Alert, Domain, Subject
from curbside.vocabulary.readings import BinEmptied, BinLevel, Reading, SensorBattery, SpaceStatus
from curbside.vocabulary.rejection import Rejected

log = logging.getLogger(__name__)

RETRY_MAX_S = 30.0
# How often unpaid charges are checked for having become overdue.
OVERDUE_EVERY = timedelta(minutes=10)


class Recorder:
    """Wiring of the recorder process. ``start``, then ``stop``."""

    def __init__(
        self,
        settings: Settings,
        city: City,
        clock: Callable[[], datetime] | None = None,
        metrics: RecorderMetrics | None = None,
    ) -> None:
        self._settings = settings
        self._clock = clock or (lambda: datetime.now(UTC))
        self.engine = record_engine(settings.records_database_url)
        upgrade(self.engine)  # at start-up: a new version's schema before its first record
        self._sessions = session_factory(self.engine)
        # Several recorders may share the store: the lease holder writes, fenced in every
        # commit; the others wait in wait_for_lease (docs/records.md, "Several recorders").
        self.lease = Lease(
            self.engine,
            settings.recorder.instance,
            timedelta(seconds=settings.recorder.lease_s),
            self._clock,
        )
        self.lease.fence(self._sessions)
        self.metrics = metrics or RecorderMetrics()
        self.metrics.count_records(self._sessions)
        self._intake = Intake.from_settings(settings, city)
        self._parking = ParkingRecorder(city, session_rules(settings))
        self._cases = CaseRecorder(city, settings.handoff.channels)
        self._keep_reports = timedelta(seconds=settings.ts_max_age_s)
        self.influx = InfluxClient.from_settings(settings)
        self._clearance = ClearanceRecorder(
            city,
            SanitationHistoryReader(self.influx),
            clearance_rules(settings),
            timedelta(seconds=settings.recorder.freeze_grace_s),
        )
        self._recheck_every = timedelta(seconds=settings.recorder.recheck_s)
        # The raw readings' policy ages them out; the recorder keeps their hours (rollups).
        # None until InfluxDB answered; False if it refused the policies (warned once).
        self._rollups_on: bool | None = None
        self._rollup = HourlyRollup(self.influx, timedelta(days=settings.influx.raw_retention_days))
        # The stream's clock: the newest report taken (docs/records.md, "Time"); read again
        # when the lease is taken, after another recorder may have moved it on.
        self._watermark: datetime | None = None
        self._next_recheck: datetime | None = None
        self._lease_taken = False
        self.metrics.follow_stream_time(lambda: self._watermark)
        self._throttle = Throttle(60.0)
        self._tz = city.tz
        self._overdue_after_days = settings.payments.overdue_after_days
        # Overdue charges go to the platform's webhook too, when the hand-off has one.
        self._overdue_webhook = "webhook" in settings.handoff.channels
        self._plate_retention_days = settings.payments.plate_retention_days
        self._next_overdue: datetime | None = None
        self._events = EventPublisher(settings, f"{settings.recorder.client_id}-events")
        self.follower = Follower(
            settings,
            [f"{ALERTS_PREFIX}/#", *subscriptions(), PLATES_FILTER],
            self._handle,
            self._tick,
            received=self.metrics.received.inc,
        )

    def wait_for_lease(self, stop: threading.Event | None = None) -> bool:
        """Wait, as a hot standby, until this recorder holds the lease (True) or ``stop`` is
        set (False)."""
        stop = stop or threading.Event()
        poll_s = min(self._settings.recorder.tick_s, self._settings.recorder.lease_s / 3)
        waited = False
        while True:
            self._with_retries(lambda _: self._take_lease())
            if self._lease_taken:
                break
            if not waited:
                held = self.lease.holder_now()
                log.info(
                    "standby: the lease is held by %s until %s; waiting to take over",
                    *(held or ("nobody", "-")),
                )
                waited = True
            if stop.wait(poll_s):
                return False
        log.info(
            "%s the lease as %s (epoch %s)",
            "took over" if waited else "holding",
            self.lease.holder,
            self.lease.epoch,
        )
        return True

    def _take_lease(self) -> None:
        self._lease_taken = self.lease.try_acquire()

    def start(self) -> None:
        """Take the lease (waiting as a standby while another recorder holds it), then
        follow the stream."""
        if not self._lease_taken:
            self.wait_for_lease()
        with self._sessions() as db:
            self._watermark = latest_report_time(db)
        self.follower.start()

    def stop(self) -> None:
        """Finish the batch in hand and disconnect."""
        self.follower.stop()
        self._events.close()
        self.engine.dispose()
        self.influx.close()

    @property
    def recorded_messages(self) -> int:
        """How many messages were committed to the record store since start."""
        total = self.metrics.registry.get_sample_value("curbside_recorder_messages_recorded_total")
        return int(total or 0)

    @property
    def stream_time(self) -> datetime | None:
        """The newest report taken so far: the time sessions are judged at."""
        return self._watermark

    def _stream_now(self) -> datetime:
        # Sessions are judged at the stream's time, never ahead of the wall clock: a backlog
        # or a replay is then recorded as it happened, not as silence followed by late data.
        wall = self._clock()
        return wall if self._watermark is None else min(wall, self._watermark)

    def _handle(self, batch: list[Delivered]) -> bool:
        plates = [m for m in batch if is_plate_topic(m.topic)]
        alerts = [a for m in batch if _is_alert(m) for a in self._alert(m)]
        readings = [
            r
            for m in batch
            if not _is_alert(m) and not is_plate_topic(m.topic)
            for r in self._readings(m)
        ]
        reports = [
            StatusReport(r.zone, r.space, r.ts, r.occupied, r.seq)
            for r in readings
            if isinstance(r, SpaceStatus) and r.ts is not None
        ]
        newest = max((r.ts for r in reports), default=None)
        if newest is not None and (self._watermark is None or newest > self._watermark):
            self._watermark = newest
        heard = _newest_per_device(readings)
        recorded = self._with_retries(
            lambda _: self._parking.record_in(self._sessions, reports, self._stream_now())
        ) and self._with_retries(lambda now: self._record_cases(alerts, heard, now))
        if recorded and plates:
            # After the reports: a plate binds to a stay they may have just opened.
            recorded = self._with_retries(lambda now: self._bind_plates(plates, now))
        if recorded:
            self.metrics.recorded.inc(len(batch))
            self.metrics.batches.inc()
        return recorded

    def _bind_plates(self, messages: list[Delivered], now: datetime) -> None:
        events = []
        for message in messages:
            try:
                events.append(plate_event(message.topic, message.payload))
            except BadPlateMessage as bad:
                self.metrics.plates.labels("bad_message").inc()
                if self._throttle.allow(message.topic[:200]):
                    log.warning("skipped plate message on %r: %s", message.topic[:200], bad)
        with self._sessions.begin() as db:
            outcomes = bind_all(db, events, now)
        for outcome, n in outcomes.items():
            self.metrics.plates.labels(outcome).inc(n)

    def _record_cases(
        self, alerts: list[Alert], heard: dict[Subject, datetime], now: datetime
    ) -> None:
        if not alerts and not heard:
            return
        with self._sessions.begin() as db:
            self._cases.open_for(db, alerts, now)
            self._cases.verify_by_readings(db, heard, now)

    def _cases_tick(self, now: datetime) -> None:
        # Deadlines pass at the stream's time, as sessions close at it: a replay escalates alike.
        with self._sessions.begin() as db:
            self._cases.verify_by_records(db, now)
            for case in self._cases.escalate_late(db, self._stream_now()):
                log.info("case %s is past its deadline %s: escalated", case.id, case.deadline)

    def _tick(self) -> None:
        self._with_retries(lambda _: self._parking_tick(self._stream_now()))
        self._with_retries(self._overdue_tick)
        self._with_retries(self._cases_tick)
        try:
            self._with_retries(self._clearance_tick)
        except InfluxError as exc:
            log.warning("clearance verdicts postponed: InfluxDB: %s", exc)
        try:
            self._rollup_tick(self._clock())
        except InfluxError as exc:
            log.warning("hourly rollups postponed: InfluxDB: %s", exc)

    def _rollup_tick(self, now: datetime) -> None:
        if self._rollups_on is None:
            self._rollups_on = ensure_retention_logged(self.influx, self._settings)
        if not self._rollups_on:
            return  # no rollup policy to write to
        written = self._rollup.run(now)
        if written:
            log.info("rolled up %d bin-hours", written)

    def _overdue_tick(self, now: datetime) -> None:
        # Days owed are counted on the wall clock: a debt ages whether or not sensors report.
        if self._next_overdue is not None and now < self._next_overdue:
            return
        self._next_overdue = now + OVERDUE_EVERY
        today = now.astimezone(self._tz).date()
        with self._sessions.begin() as db:
            notice_overdue(db, today, self._overdue_after_days, now, webhook=self._overdue_webhook)
            anonymised = apply_retention(db, today, self._plate_retention_days)
        if anonymised:
            log.info("%d plate(s) past their retention anonymised", anonymised)
        with self._sessions.begin() as db:
            events = unpublished(db)
            sent = [e.stay for e in events if self._events.publish(e.topic(), e.payload())]
            mark_published(db, sent, now)
        if events:
            log.info("%d overdue stay(s) announced", len(sent))

    def _clearance_tick(self, now: datetime) -> None:
        with self._sessions.begin() as db:
            for day in self._clearance.freeze_due(db, now):
                log.info("froze the clearance verdicts of %s", day)
        if self._next_recheck is not None and now < self._next_recheck:
            return
        self._next_recheck = now + self._recheck_every
        open_since = (now - self._keep_reports).astimezone(self._clearance.tz).date()
        with self._sessions.begin() as db:
            days = frozen_days(db, open_since)
        for day in days:
            with self._sessions.begin() as db:
                corrected = self._clearance.recheck(db, day, now)
            if corrected:
                log.info("%s: %d clearance verdict(s) corrected by late data", day, corrected)
        log.info("re-checked the verdicts of %d frozen day(s) against late data", len(days))

    def _parking_tick(self, now: datetime) -> None:
        with self._sessions.begin() as db:
            self._parking.close_due(db, now)
            self._parking.prune(db, self._clock(), self._keep_reports)

    def _alert(self, message: Delivered) -> list[Alert]:
        try:
            return [self._cases.alert_of(message.payload)]
        except NotAnAlert as exc:
            self.metrics.alerts_rejected.inc()
            if self._throttle.allow(message.topic[:200]):
                log.warning("skipped %r: %s", message.topic[:200], exc)
            return []

    def _readings(self, message: Delivered) -> list[Reading]:
        try:
            readings = self._intake.readings(message.topic, message.payload, message.received_at)
        except Rejected as rejected:
            # Ingest dead-letters it; here it is only counted and skipped (and acknowledged).
            self.metrics.rejected.inc()
            if self._throttle.allow(message.topic[:200]):
                log.warning("skipped %r: %s", message.topic[:200], rejected)
            return []
        return readings

    def _with_retries(self, work: Callable[[datetime], None]) -> bool:
        # The record database restarting is an outage to wait out, not a reason to die.
        delay = 0.5
        while True:
            try:
                work(self._clock())
                return True
            except DBAPIError as exc:
                if not is_outage(exc):
                    raise
                log.warning("record database unavailable (%s); retrying in %.1f s", exc.orig, delay)
                self.metrics.retries.inc()
            if self.follower.stopping:
                return False
            time.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)


def _is_alert(message: Delivered) -> bool:
    return message.topic.startswith(f"{ALERTS_PREFIX}/")


def _subject(reading: Reading) -> Subject:
    if isinstance(reading, SpaceStatus):
        return Subject(Domain.PARKING, reading.zone, reading.space)
    if isinstance(reading, BinLevel | BinEmptied):
        return Subject(Domain.SANITATION, reading.district, reading.bin)
    assert isinstance(reading, SensorBattery)
    return Subject(Domain(str(reading.domain)), reading.group, reading.device)


def _newest_per_device(readings: list[Reading]) -> dict[Subject, datetime]:
    """Each device's newest reading time in the batch (what ends a silent sensor's case)."""
    newest: dict[Subject, datetime] = {}
    for reading in readings:
        if reading.ts is not None:
            subject = _subject(reading)
            if subject not in newest or reading.ts > newest[subject]:
                newest[subject] = reading.ts
    return newest
