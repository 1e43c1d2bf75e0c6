"""One constituency's voting, transaction by transaction, generated hour by hour.

Input: a :class:`ConstituencySpec`, the model, the region's hourly shocks and the injections
planned for this constituency. Output: event arrays in chain order through :meth:`emit`, for
any sequence of increasing time limits, so a writer can stream one contract at a time or many
contracts in lock-step (block dumps) with the same result: all randomness is drawn in a fixed
order (setup, voting hour 0, 1, ..., tallying) whatever the limits are.

Guarantees: events created while generating voting hour ``j`` never lie before that hour (so a
streamed file never goes back in time unless an injection says so); the published results sum
to the voters with an accepted vote (unless ``results_mismatch`` is injected); clean
constituencies never issue more bulletins than their list allows and never accept a vote
outside the window.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import orjson
from numpy.typing import NDArray

from election_monitor.enums import AlertType
from election_monitor.simulate import events as ev
from election_monitor.simulate import ids
from election_monitor.simulate.anomalies import PLATFORM_OUTAGE, Injection
from election_monitor.simulate.config import WEEKEND_PEAKS, ModelParams
from election_monitor.simulate.events import Call, Entry, Events
from election_monitor.simulate.population import ConstituencySpec
from election_monitor.simulate.profile import HOUR_MS, hourly_profile

MIN_MS = 60_000
GHOST_BASE = 1 << 40  # userId indices of people not on the voter list
REJECT_REASON = "invalid blind signature"
ISSUE_FAIL_REASON = "blind signature service timeout"
CONTRACT_IMAGE = "registry.deg.local/voting-contract:2.4.1"

Window = tuple[int, int]
_PLACEHOLDER = Call("placeholder", "", [], [])  # replaced once the row's tx id is known


class ConstituencyGenerator:
    """Generates one voting contract's transactions; see the module docstring."""

    def __init__(
        self,
        spec: ConstituencySpec,
        model: ModelParams,
        shocks: NDArray[np.float64],
        injections: list[Injection],
        *,
        rollback_lines: bool,
    ) -> None:
        self.spec = spec
        self.model = model
        self.injections = injections
        self.rollback_lines = rollback_lines
        self.rng = np.random.default_rng(np.random.SeedSequence(list(spec.seed)))
        self.calls: dict[int, ev.Payload] = {}
        self.offline: list[Window] = []
        self.realised: dict[str, dict[str, Any]] = {}  # injection id -> window and details
        self.unique_voters = 0  # voters with an accepted vote, counted as they are created
        self.voters_added = 0
        self.voters_removed = 0
        self.results: list[int] = []
        self.first_ms = spec.start_ms
        self.last_ms = spec.end_ms
        self._pending: list[Events] = []
        self._next_hour = 0
        self._post_done = False
        self._next_session = 0
        self._next_payload = 0
        self._next_ghost = GHOST_BASE
        self._setup(shocks)

    # -- public -------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        """True once every event has been emitted."""
        return self._post_done and not any(len(p) for p in self._pending)

    def emit(self, until_ms: int) -> Events:
        """Every not yet emitted event with chain position before ``until_ms``, in order."""
        s = self.spec
        while self._next_hour < s.hours and s.start_ms + self._next_hour * HOUR_MS < until_ms:
            self._next_hour = self._block(self._next_hour)
        if not self._post_done and self._next_hour >= s.hours and until_ms > s.end_ms:
            self._post()
        pending = ev.concat(self._pending)
        early = pending["order"] < until_ms
        out = ev.sort(pending[early])
        self._pending = [pending[~early]]
        if not self.rollback_lines:
            out = out[(out["flags"] & (ev.ROLLED_BACK | ev.ROLLBACK_LINE)) == 0]
        return out

    # -- setup ----------------------------------------------------------------------------

    def _setup(self, shocks: NDArray[np.float64]) -> None:
        s, m, rng = self.spec, self.model, self.rng
        hours, start, end, n0 = s.hours, s.start_ms, s.end_ms, s.registered
        participation = s.participation
        for inj in self._of(AlertType.BASELINE_DEVIATION):
            participation *= inj.magnitude
            self._realise(inj, start, end, participation=round(participation, 4))

        # voter-list changes during voting: additions vote like anyone, removals come from
        # the part of the list that never votes (they chose to vote on paper)
        days = hours / 24
        add_times = np.sort(
            rng.integers(
                start + HOUR_MS, end - 2 * HOUR_MS, rng.poisson(m.list_adds_per_day * days)
            )
        )
        add_sizes = 1 + rng.poisson(max(1.0, 0.0015 * n0), len(add_times))
        rem_times = np.sort(
            rng.integers(
                start + HOUR_MS, end - 2 * HOUR_MS, rng.poisson(m.list_removes_per_day * days)
            )
        )
        rem_sizes = 1 + rng.poisson(max(0.5, 0.001 * n0), len(rem_times))
        rem_sizes = _cap_cumsum(rem_sizes, int(0.02 * n0))

        profile = hourly_profile(
            start_ms=start,
            hours=hours,
            timezone=s.timezone,
            peaks=s.peaks,
            phase=s.phase,
            day_weights=s.day_weights,
            rush=s.rush,
            night_floor=m.night_floor,
            weekend_day=s.weekend_day,
            weekend_peaks=WEEKEND_PEAKS,
        )
        self.expected = n0 * participation * profile
        if s.dispersion > 1:  # gamma-Poisson with variance = dispersion x mean in every hour
            shape_k = np.maximum(self.expected, 1e-9) / (s.dispersion - 1)
            noise = rng.gamma(shape_k, 1.0 / shape_k)
        elif s.dispersion == 1:
            noise = np.ones(hours)
        else:
            noise = rng.gamma(m.k_idio, 1.0 / m.k_idio, hours) if m.k_idio > 0 else np.ones(hours)
        counts = rng.poisson(self.expected * shocks * noise).astype(np.int64)
        clean = counts.copy()
        for inj in self._of(
            AlertType.UNUSUAL_SPIKE, AlertType.CORRELATED_SPIKE, AlertType.UNUSUAL_DROP
        ):
            hs = slice(inj.hour, inj.hour + inj.duration)
            counts[hs] = np.round(counts[hs] * inj.magnitude).astype(np.int64)
        for inj in self._of(AlertType.NIGHT_ACTIVITY):
            extra = round(inj.magnitude * n0)
            span = range(inj.hour, min(hours, inj.hour + inj.duration))
            counts[inj.hour : inj.hour + len(span)] += rng.multinomial(
                extra, np.full(len(span), 1 / len(span))
            )
        for inj in self._of(AlertType.CONSTITUENCY_OFFLINE, PLATFORM_OUTAGE):
            counts[inj.hour : inj.hour + inj.duration] = 0
            self.offline.append(
                (start + inj.hour * HOUR_MS, start + (inj.hour + inj.duration) * HOUR_MS)
            )

        outside = self._of(AlertType.VOTE_OUTSIDE_WINDOW)
        n_outside = sum(max(1, round(i.magnitude)) for i in outside)
        capacity = n0 - int(rem_sizes.sum()) - n_outside
        if counts.sum() > capacity:  # a list cannot issue more bulletins than it has voters
            counts = np.floor(counts * (max(0, capacity) / counts.sum())).astype(np.int64)
        self.final_list = n0 + int(add_sizes.sum()) - int(rem_sizes.sum())
        ghosts = np.zeros(hours, np.int64)
        for inj in self._of(AlertType.TURNOUT_EXCEEDS_REGISTERED):
            target = math.ceil(inj.magnitude * max(n0, self.final_list))
            extra = max(1, target - int(counts.sum()) - n_outside - int(ghosts.sum()))
            window = [h for h in range(max(0, hours - 24), hours) if counts[h] > 0]
            weights = self.expected[window] + 1e-9
            ghosts[window] += rng.multinomial(extra, weights / weights.sum())
            cumulative = np.cumsum(counts + ghosts)
            crossing = int(np.searchsorted(cumulative, max(n0, self.final_list), side="right"))
            self._realise(
                inj,
                start + min(crossing, hours - 1) * HOUR_MS,
                end,
                bulletins_to_unlisted=extra,
                registered=n0,
                list_at_close=self.final_list,
            )
        self.counts, self.ghosts, self.clean_counts = counts, ghosts, clean
        per_hour = (counts.sum() + ghosts.sum()) / hours
        self._block_hours = int(np.clip(2000 // max(1.0, per_hour), 1, 12))
        for inj in self._of(
            AlertType.UNUSUAL_SPIKE,
            AlertType.CORRELATED_SPIKE,
            AlertType.UNUSUAL_DROP,
            AlertType.NIGHT_ACTIVITY,
            AlertType.CONSTITUENCY_OFFLINE,
            PLATFORM_OUTAGE,
        ):
            hs = slice(inj.hour, inj.hour + inj.duration)
            self._realise(
                inj,
                start + inj.hour * HOUR_MS,
                start + (inj.hour + inj.duration) * HOUR_MS,
                expected_bulletins=round(float(self.expected[hs].sum()), 1),
                clean_bulletins=int(clean[hs].sum()),
                injected_bulletins=int(counts[hs].sum() + ghosts[hs].sum()),
            )

        # who is issued a bulletin, in order; the tail of the list never votes
        self._order = rng.permutation(n0).astype(np.int64)
        self._ptr = 0
        removed = self._order[n0 - int(rem_sizes.sum()) :]
        self._added: list[tuple[int, NDArray[np.int64]]] = []

        create_ts = _nominal(s)[0] - 3 * HOUR_MS + int(rng.integers(0, 10 * MIN_MS))
        self.first_ms = create_ts
        self._start_ts = start - int(rng.integers(30_000, 300_000))
        self._finish_ts = end + int(rng.integers(5_000, 60_000))
        self._add(self._special(create_ts, self._create_call(), txid=s.contract_id))
        batch = max(1, self.model.list_batch)
        for k, lo in enumerate(range(0, n0, batch)):
            voters = np.arange(lo, min(n0, lo + batch), dtype=np.int64)
            self._voter_list(create_ts + 20 * MIN_MS + k * 1500, "addVotersList", voters, k)
        self._add(self._special(self._start_ts, self._window_call("startVoting", start)))
        next_new = n0
        for t, size in zip(add_times.tolist(), add_sizes.tolist(), strict=True):
            voters = np.arange(next_new, next_new + size, dtype=np.int64)
            next_new += size
            self._added.append((t, voters))
            self._voter_list(t, "addToVotersList", voters, len(self._added))
            self.voters_added += size
        lo = 0
        for t, size in zip(rem_times.tolist(), rem_sizes.tolist(), strict=True):
            if size:
                self._voter_list(t, "removeFromVotersList", removed[lo : lo + size], lo)
                lo += size
                self.voters_removed += size
        for inj in outside:
            self._outside(inj, max(1, round(inj.magnitude)))
        self._pending = [self._shift_offline(ev.concat(self._pending))]

    # -- one voting hour ------------------------------------------------------------------

    def _block(self, j0: int) -> int:
        """Generate voting hours ``j0`` up to the next block boundary; returns that boundary.

        Blocks have a fixed size per constituency (small ones take many hours at once), so
        the random draws do not depend on how the caller windows its emission.
        """
        s = self.spec
        j1 = min(s.hours, j0 + self._block_hours)
        starts = [s.start_ms + j * HOUR_MS for j in range(j0, j1 + 1)]
        starts[-1] = min(starts[-1], s.end_ms)
        issue_parts: list[NDArray[np.int64]] = []
        user_parts: list[NDArray[np.int64]] = []
        for k, j in enumerate(range(j0, j1)):
            n_list, n_ghost = int(self.counts[j]), int(self.ghosts[j])
            if n_list + n_ghost:
                issue_parts.append(
                    np.sort(self.rng.integers(starts[k], starts[k + 1], n_list + n_ghost))
                )
                listed = self._take_listed(n_list, starts[k])
                user_parts.append(
                    self.rng.permutation(np.concatenate([listed, self._take_ghosts(n_ghost)]))
                )
        parts: list[Events] = []
        if issue_parts:
            parts = self._sessions(
                np.concatenate(issue_parts), np.concatenate(user_parts), starts[0]
            )
        batch = ev.concat(parts)
        extra: list[Events] = [batch]
        for k, j in enumerate(range(j0, j1)):
            for inj in self.injections:
                if inj.hour <= j < inj.hour + inj.duration:
                    extra.append(self._hour_injection(inj, j, starts[k], starts[k + 1], batch))
        batch = self._shift_offline(ev.concat(extra))
        batch = self._shift_offline(self._rollbacks(batch, starts[0]))
        for k, j in enumerate(range(j0, j1)):
            for inj in self._of(AlertType.DATA_INTEGRITY):
                if inj.hour == j:
                    batch = self._integrity(inj, batch, starts[k], starts[k + 1])
        self._add(batch)
        return j1

    def _take_listed(self, n: int, before_ms: int) -> NDArray[np.int64]:
        taken: list[NDArray[np.int64]] = []
        while n > 0 and self._added and self._added[0][0] < before_ms:
            t, voters = self._added[0]
            taken.append(voters[:n])
            n -= len(taken[-1])
            if len(voters) > len(taken[-1]):
                self._added[0] = (t, voters[len(taken[-1]) :])
            else:
                self._added.pop(0)
        taken.append(self._order[self._ptr : self._ptr + n])
        self._ptr += n
        return np.concatenate(taken)

    def _take_ghosts(self, n: int) -> NDArray[np.int64]:
        out = np.arange(self._next_ghost, self._next_ghost + n, dtype=np.int64)
        self._next_ghost += n
        return out

    def _new_sessions(self, n: int) -> NDArray[np.int64]:
        out = np.arange(self._next_session, self._next_session + n, dtype=np.int64)
        self._next_session += n
        return out

    def _sessions(
        self, issue_ts: NDArray[np.int64], users: NDArray[np.int64], floor: int
    ) -> list[Events]:
        """Bulletins issued at ``issue_ts`` to ``users`` and what their voters then do."""
        s, m, rng = self.spec, self.model, self.rng
        n = len(issue_ts)
        second = rng.random(n) < m.multi_issue_share  # shares the previous voter's issuance
        second[0] = False
        second[1:] &= ~second[:-1]
        issue_ts = issue_ts.copy()
        second_idx = np.flatnonzero(second)
        issue_ts[second_idx] = issue_ts[second_idx - 1]
        hexes = ids.user_ids(s.user_key, users)
        owners = np.flatnonzero(~second)
        multi = np.zeros(len(owners), bool)
        multi[np.searchsorted(owners, second_idx - 1)] = True
        uiks = np.asarray(s.uiks, np.int16)[rng.integers(0, len(s.uiks), len(owners))]
        single = owners[~multi]
        issues = self._fast(ev.KIND_ISSUE, issue_ts[single], accepted=True)
        issues["user"] = hexes[single]
        issues["uik"] = uiks[~multi]
        issues["nusers"] = 1
        fail = rng.random(len(single)) < m.issue_fail_share
        failed = self._copy(issues[fail])
        failed["accepted"] = 0
        failed["order"] = failed["ts"] = np.maximum(
            floor, failed["ts"] - rng.integers(2_000, 30_000, len(failed))
        )
        out = [failed, issues]
        for k, owner in zip(np.flatnonzero(multi).tolist(), owners[multi].tolist(), strict=True):
            out.append(
                self._multi_issue(
                    int(issue_ts[owner]), [hexes[owner], hexes[owner + 1]], int(uiks[k])
                )
            )

        lag = np.exp(rng.normal(math.log(m.lag_median_s * 1000), m.lag_sigma, n))
        vote_ts = issue_ts + np.clip(lag, 1000, m.lag_max_s * 1000).astype(np.int64)
        voting = (rng.random(n) >= s.unused) & (vote_ts < s.end_ms - 1000)
        vi = np.flatnonzero(voting)
        vts, sessions = vote_ts[vi], self._new_sessions(len(vi))
        keys = ids.base58(rng, len(vi))
        rejected = rng.random(len(vi)) < m.rejected_share
        gave_up = rejected & (rng.random(len(vi)) < m.rejected_final_share)
        rej = self._fast(
            ev.KIND_VOTE,
            np.maximum(
                issue_ts[vi][rejected] + 200,
                vts[rejected] - rng.integers(5_000, 60_000, int(rejected.sum())),
            ),
            accepted=False,
        )
        rej["sender"], rej["voter"] = keys[rejected], sessions[rejected]
        ok = ~gave_up
        votes = self._fast(ev.KIND_VOTE, vts[ok], accepted=True)
        votes["sender"], votes["voter"] = keys[ok], sessions[ok]
        self.unique_voters += int(ok.sum())
        out += [rej, votes]
        if not s.revote_blocked:
            again = rng.random(len(votes)) < m.revote_share
            rts = votes["ts"][again] + (
                rng.exponential(m.revote_mean_hours, int(again.sum())) * HOUR_MS
            ).astype(np.int64)
            keep = rts < s.end_ms - 1000
            revotes = self._fast(ev.KIND_VOTE, rts[keep], accepted=True)
            revotes["sender"] = votes["sender"][again][keep]
            revotes["voter"] = votes["voter"][again][keep]
            out.append(revotes)
        return out

    def _hour_injection(self, inj: Injection, j: int, t0: int, t1: int, batch: Events) -> Events:
        rng = self.rng
        s = self.spec
        if inj.type == AlertType.VOTES_EXCEED_BULLETINS:
            n = max(20, round(inj.magnitude * s.registered * s.participation * (1 - s.unused)))
            votes = self._fast(ev.KIND_VOTE, np.sort(rng.integers(t0, t1, n)), accepted=True)
            votes["sender"] = ids.base58(rng, n)
            votes["voter"] = self._new_sessions(n)
            self.unique_voters += n
            self._realise(inj, t0, t1, votes_without_bulletin=n)
            return votes
        if inj.type == AlertType.HIGH_REJECTION_RATE:
            in_hour = (batch["order"] >= t0) & (batch["order"] < t1)
            accepted = int(
                (in_hour & (batch["kind"] == ev.KIND_VOTE) & (batch["accepted"] == 1)).sum()
            )
            n = round(inj.magnitude / (1 - inj.magnitude) * accepted)
            rej = self._fast(ev.KIND_VOTE, np.sort(rng.integers(t0, t1, n)), accepted=False)
            rej["sender"] = ids.base58(rng, n)
            rej["voter"] = self._new_sessions(n)
            done = self.realised.get(inj.id, {}).get("details", {}).get("rejected_calls", 0)
            self._realise(
                inj,
                s.start_ms + inj.hour * HOUR_MS,
                s.start_ms + (inj.hour + inj.duration) * HOUR_MS,
                rejected_calls=done + n,
            )
            return rej
        if inj.type == AlertType.DUPLICATE_VOTE:
            total = max(1, round(inj.magnitude))
            share = total // inj.duration + (1 if (j - inj.hour) < total % inj.duration else 0)
            mains = np.flatnonzero(
                (batch["kind"] == ev.KIND_VOTE)
                & (batch["accepted"] == 1)
                & (batch["order"] >= t0)
                & (batch["order"] < t1)
            )
            mains = mains[np.unique(batch["voter"][mains], return_index=True)[1]]
            pick = (
                np.sort(rng.choice(mains, min(share, len(mains)), replace=False))
                if len(mains)
                else mains
            )
            dup = self._copy(batch[pick])
            dup["order"] = dup["ts"] = np.minimum(
                dup["ts"] + rng.integers(MIN_MS, 30 * MIN_MS, len(dup)), s.end_ms - 1000
            )
            prev = self.realised.get(inj.id, {}).get("details", {})
            keys = [*prev.get("voter_keys", []), *(k.decode() for k in dup["sender"].tolist())]
            lo = min([prev.get("first_ms", t1), *dup["ts"].tolist()])
            hi = max([prev.get("last_ms", t0), *dup["ts"].tolist()])
            self._realise(inj, lo, hi + 1, voter_keys=keys, first_ms=lo, last_ms=hi)
            return dup
        return ev.empty()

    def _integrity(self, inj: Injection, batch: Events, t0: int, t1: int) -> Events:
        shift = int(inj.magnitude * MIN_MS)
        fast = np.flatnonzero(
            (batch["flags"] == 0)
            & (batch["payload"] < 0)
            & (batch["order"] >= t0 + 20 * MIN_MS)
            & (batch["order"] < t1)
        )
        fast = fast[np.argsort(batch["order"][fast], kind="stable")]
        issues = fast[(batch["kind"][fast] == ev.KIND_ISSUE) & (batch["accepted"][fast] == 1)]
        original = issues[-1:]  # the last bulletin of the hour gets its id reused
        burst = fast[~np.isin(fast, original)][:25]
        batch["ts"][burst] -= shift
        reused = self._copy(batch[original])
        if len(reused):
            ts = int(reused["ts"][0])
            hour_end = (ts // HOUR_MS + 1) * HOUR_MS - 1
            reused["txid"] = batch["txid"][original]
            reused["order"] = reused["ts"] = min(
                hour_end, ts + int(self.rng.integers(1_000, 30_000))
            )
            reused["flags"] = ev.REUSED_ID
        self._realise(
            inj,
            t0,
            t1,
            shifted_tx=len(burst),
            shift_minutes=inj.magnitude,
            first_shifted_tx=batch["txid"][burst[0]].decode() if len(burst) else None,
            reused_tx_id=reused["txid"][0].decode() if len(reused) else None,
        )
        return ev.concat([batch, reused])

    # -- injections made at setup ---------------------------------------------------------

    def _outside(self, inj: Injection, n: int) -> None:
        s, rng = self.spec, self.rng
        if inj.details.get("when") == "before":
            issue_ts = np.sort(rng.integers(s.start_ms - 45 * MIN_MS, s.start_ms - 20 * MIN_MS, n))
            vote_ts = issue_ts + rng.integers(MIN_MS, 10 * MIN_MS, n)
            window = (int(vote_ts.min()), self._start_ts)
        else:
            issue_ts = np.sort(rng.integers(s.end_ms - 20 * MIN_MS, s.end_ms - 5 * MIN_MS, n))
            vote_ts = np.sort(self._finish_ts + rng.integers(MIN_MS, 15 * MIN_MS, n))
            window = (self._finish_ts, int(vote_ts.max()) + 1)
        issues = self._fast(ev.KIND_ISSUE, issue_ts, accepted=True)
        issues["user"] = ids.user_ids(s.user_key, self._take_listed(n, s.start_ms))
        issues["uik"] = s.uiks[0]
        issues["nusers"] = 1
        votes = self._fast(ev.KIND_VOTE, vote_ts, accepted=True)
        votes["sender"] = ids.base58(rng, n)
        votes["voter"] = self._new_sessions(n)
        self.unique_voters += n
        self._add(ev.concat([issues, votes]))
        self._realise(inj, window[0], window[1], votes=n, when=inj.details.get("when"))

    # -- after the close ------------------------------------------------------------------

    def _post(self) -> None:
        s, rng = self.spec, self.rng
        end = s.end_ms
        self._add(self._special(self._finish_ts, self._window_call("finishVoting", end)))
        for key in s.server_keys:
            t = end + int(rng.integers(15 * MIN_MS, 35 * MIN_MS))
            blob = ids.one_blob(rng, 256)
            call = Call(
                "decryption",
                key,
                [_op("decryption"), Entry("decryption", "binary", blob)],
                [Entry(f"DECRYPTION_{key}", "binary", blob)],
            )
            self._add(self._special(t, call))
        t = end + int(rng.integers(40 * MIN_MS, 55 * MIN_MS))
        blob = ids.one_blob(rng, 256)
        call = Call(
            "commissionDecryption",
            s.commission_key,
            [_op("commissionDecryption"), Entry("commissionDecryption", "binary", blob)],
            [Entry("COMMISSION_DECRYPTION", "binary", blob)],
        )
        self._add(self._special(t, call))
        counted = (
            rng.multinomial(self.unique_voters, np.asarray(s.option_shares)).astype(int).tolist()
        )
        published = list(counted)
        results_ts = end + int(rng.integers(60 * MIN_MS, 90 * MIN_MS))
        for inj in self._of(AlertType.RESULTS_MISMATCH):
            extra = max(1, round(inj.magnitude * self.unique_voters))
            published[int(np.argmax(published))] += extra
            self._realise(
                inj,
                self._finish_ts,
                results_ts + 1000,
                counted=counted,
                published=published,
                difference=extra,
            )
        self.results = published
        text = orjson.dumps([published]).decode()
        call = Call(
            "results",
            s.commission_key,
            [_op("results"), Entry("results", "string", text, [published])],
            [Entry("RESULTS", "string", text, [published])],
        )
        self._add(self._special(results_ts, call))
        self.last_ms = results_ts
        self._post_done = True

    # -- building blocks ------------------------------------------------------------------

    def _of(self, *types: str) -> list[Injection]:
        return [i for i in self.injections if i.type in types]

    def _realise(self, inj: Injection, start_ms: int, end_ms: int, **details: Any) -> None:
        self.realised[inj.id] = {
            "start_ms": int(start_ms),
            "end_ms": int(end_ms),
            "details": {**inj.details, **details},
        }

    def _add(self, events: Events) -> None:
        if len(events):
            self._pending.append(events)

    def _fast(self, kind: int, ts: NDArray[np.int64], *, accepted: bool) -> Events:
        out = ev.empty(len(ts))
        out["order"] = out["ts"] = ts
        out["kind"] = kind
        out["accepted"] = accepted
        out["cidx"] = self.spec.index
        self._randomise(out)
        return out

    def _copy(self, rows: Events) -> Events:
        """Rows resubmitted as new transactions: same content, new id, signature and blobs."""
        out = rows.copy()
        out["flags"] = 0
        self._randomise(out)
        return out

    def _randomise(self, out: Events) -> None:
        """New tx ids, signatures and blobs."""
        n = len(out)
        names = ids.random_fields(self.rng, n, (("txid", ids.ID_WIDTH), ("sig", ids.SIG_WIDTH)))
        blobs = ids.random_fields(
            self.rng, n, (("a", ids.BLOB_WIDTH), ("b", ids.SHORT_BLOB_WIDTH)), base=64
        )
        out["txid"] = names["txid"]
        out["sig"] = names["sig"]
        out["blob_a"] = blobs["a"]
        out["blob_b"] = blobs["b"]

    def _rollbacks(self, batch: Events, floor: int) -> Events:
        """Roll back a few bulletins and votes; each is resubmitted as a new transaction."""
        candidates = (batch["payload"] < 0) & (batch["accepted"] == 1) & (batch["flags"] == 0)
        picked = np.flatnonzero(
            candidates & (self.rng.random(len(batch)) < self.model.rollback_share)
        )
        if not len(picked):
            return batch
        batch["flags"][picked] |= ev.ROLLED_BACK
        lines = batch[picked].copy()
        lines["flags"] = ev.ROLLBACK_LINE
        lines["order"] = np.maximum(
            floor, lines["ts"] + self.rng.integers(-30_000, 120_000, len(lines))
        )
        again = self._copy(batch[picked])
        again["order"] = again["ts"] = again["ts"] + self.rng.integers(3_000, 90_000, len(again))
        votes = again["kind"] == ev.KIND_VOTE
        again["ts"][votes] = np.minimum(again["ts"][votes], self.spec.end_ms - 500)
        again["order"] = again["ts"]
        return ev.concat([batch, lines, again])

    def _shift_offline(self, batch: Events) -> Events:
        """Nothing reaches the chain during an outage: late sends go out when it ends."""
        for lo, hi in self.offline:
            inside = np.flatnonzero((batch["order"] >= lo) & (batch["order"] < hi))
            if len(inside):
                new = hi + self.rng.integers(0, 15 * MIN_MS, len(inside))
                keep_ts = (batch["flags"][inside] & ev.ROLLBACK_LINE) != 0
                batch["ts"][inside[~keep_ts]] = new[~keep_ts]
                batch["order"][inside] = new
        return batch

    def _special(
        self,
        ts: int,
        call: ev.Payload,
        *,
        txid: str | None = None,
        kind: int = ev.KIND_OTHER,
        nusers: int = 0,
    ) -> Events:
        out = ev.empty(1)
        out["order"] = out["ts"] = ts
        out["kind"] = kind
        out["accepted"] = 1
        out["nusers"] = nusers
        out["cidx"] = self.spec.index
        out["txid"] = txid if txid is not None else ids.one_id(self.rng)
        out["sig"] = ids.base58(self.rng, 1, ids.SIG_WIDTH)
        payload = self._next_payload
        self._next_payload += 1
        self.calls[payload] = call
        out["payload"] = payload
        return out

    def _multi_issue(self, ts: int, hexes: list[bytes], uik: int) -> Events:
        s = self.spec
        users = [h.decode() for h in hexes]
        data = [
            {"userId": u, "maskedSig": ids.one_blob(self.rng, ids.SHORT_BLOB_WIDTH)} for u in users
        ]
        sigs = [ids.one_blob(self.rng, ids.SHORT_BLOB_WIDTH) for _ in users]
        call = Call(
            "blindSigIssue",
            s.issuer_key,
            [
                _op("blindSigIssue"),
                Entry("primaryUikRegionCode", "string", s.region_code),
                Entry("primaryUikNumber", "integer", uik),
                Entry("data", "string", orjson.dumps(data).decode(), data),
            ],
            [
                Entry(f"BLINDSIG_{u}_{ts}", "binary", sig)
                for u, sig in zip(users, sigs, strict=True)
            ],
        )
        return self._special(ts, call, kind=ev.KIND_ISSUE, nusers=len(users))

    def _voter_list(self, ts: int, operation: str, voters: NDArray[np.int64], k: int) -> None:
        s = self.spec
        uik = s.uiks[k % len(s.uiks)]
        row = self._special(ts, _PLACEHOLDER)
        txid = row["txid"][0].decode()
        user_key, region_code, sender = s.user_key, s.region_code, s.registrator_key

        def build() -> Call:
            hashes = ids.user_id_strings(user_key, voters)
            text = orjson.dumps(hashes).decode()
            return Call(
                operation,
                sender,
                [
                    _op(operation),
                    Entry("userIdHashes", "string", text, hashes),
                    Entry("primaryUikRegionCode", "string", region_code),
                    Entry("primaryUikNumber", "integer", uik),
                ],
                [Entry(f"VOTERS_LIST_{txid}", "string", text, hashes)],
            )

        self.calls[int(row["payload"][0])] = build
        self._add(row)

    def _create_call(self) -> Call:
        s = self.spec
        base = {
            "pollId": s.poll_id,
            "name": s.voting_name,
            "dateStart": _local_iso(_nominal(s)[0], s.timezone),
            "dateEnd": _local_iso(_nominal(s)[1], s.timezone),
            "isRevoteBlocked": s.revote_blocked,
            "dimension": [[1, 1, len(s.option_shares)]],
            "status": "Active",
        }
        text = orjson.dumps(base).decode()
        return Call(
            "createContract",
            s.organiser_key,
            [Entry("pollId", "string", s.poll_id)],
            [
                Entry("VOTING_BASE", "string", text, base),
                Entry("BLINDSIG_ISSUE_REGISTRATOR", "string", s.issuer_key),
                Entry("VOTERS_LIST_REGISTRATOR", "string", s.registrator_key),
            ],
            tx_type=103,
            extra={
                "contractName": "voting-contract",
                "image": CONTRACT_IMAGE,
                "imageHash": _image_hash(),
            },
        )

    def _window_call(self, operation: str, moment_ms: int) -> Call:
        s = self.spec
        key = "dateStart" if operation == "startVoting" else "dateEnd"
        return Call(
            operation,
            s.organiser_key,
            [_op(operation), Entry(key, "string", _local_iso(moment_ms, s.timezone))],
            [],
        )


def _nominal(spec: ConstituencySpec) -> tuple[int, int]:
    """The planned window (VOTING_BASE); startVoting / finishVoting carry the actual one."""
    return (spec.nominal_start_ms or spec.start_ms, spec.nominal_end_ms or spec.end_ms)


def _op(name: str) -> Entry:
    return Entry("operation", "string", name)


def _local_iso(ms: int, timezone: str) -> str:
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(timezone)).isoformat()


def _image_hash() -> str:
    return "4f1c" * 16


def _cap_cumsum(sizes: NDArray[np.int64], cap: int) -> NDArray[np.int64]:
    """Trim sizes so that their sum stays within ``cap`` (later ones first)."""
    out = sizes.astype(np.int64).copy()
    excess = int(out.sum()) - max(0, cap)
    for i in range(len(out) - 1, -1, -1):
        if excess <= 0:
            break
        cut = min(excess, int(out[i]))
        out[i] -= cut
        excess -= cut
    return out
