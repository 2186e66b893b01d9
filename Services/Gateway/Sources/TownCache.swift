import ORDPIdentityAPI
import Synchronization

/// The region's towns as identity lists them (`ListOrganisations` answers every caller alike),
/// kept for `ttl` so that composite calls do not ask identity each time: the town list changes
/// when a town joins or is renamed, a few times a year. A town that joined within `ttl` is
/// missing from the list until then (an overview fetches a publisher it does not find in the
/// list on its own). A failed fetch is not kept.
final class TownCache: Sendable {
  let ttl: Duration
  private let state = Mutex<(at: ContinuousClock.Instant, towns: [Ordp_Identity_V1_Organisation])?>(
    nil)

  init(ttl: Duration = .seconds(10)) { self.ttl = ttl }

  /// The towns: kept ones when younger than `ttl`, else from `fetch` (and kept).
  func towns(
    _ fetch: () async throws -> [Ordp_Identity_V1_Organisation]
  ) async throws -> [Ordp_Identity_V1_Organisation] {
    let now = ContinuousClock.now
    if let kept = state.withLock({ $0 }), now - kept.at < ttl { return kept.towns }
    let towns = try await fetch()
    state.withLock { $0 = (now, towns) }
    return towns
  }
}
