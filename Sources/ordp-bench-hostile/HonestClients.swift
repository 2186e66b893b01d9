import Foundation
import Histogram
import ORDPAnalyticsAPI
import ORDPCatalogueAPI
import ORDPIdentityAPI
import ORDPRPC
import ORDPTestSupport

/// Honest users, each with its own token, making the platform's everyday calls one after the
/// other — whom the attack must not harm.
struct HonestClients {
  let platform: HostilePlatform

  struct Result {
    var histogram = Histogram<UInt64>(
      highestTrackableValue: 120_000_000_000, numberOfSignificantValueDigits: .three)
    var calls = 0
    var failures: [String: Int] = [:]

    mutating func merge(_ other: Result) {
      histogram.add(other.histogram)
      calls += other.calls
      failures.merge(other.failures, uniquingKeysWith: +)
    }

    var p50Millis: Double { Double(histogram.valueAtPercentile(50)) / 1e6 }
    var p99Millis: Double { Double(histogram.valueAtPercentile(99)) / 1e6 }
  }

  /// Every honest user calling until `duration` has passed.
  func run(for duration: Duration) async throws -> Result {
    let end = ContinuousClock.now + duration
    return try await withThrowingTaskGroup(of: Result.self) { group in
      for (index, token) in platform.honestTokens.enumerated() {
        group.addTask { try await loop(user: index, token: token, until: end) }
      }
      var all = Result()
      for try await result in group { all.merge(result) }
      return all
    }
  }

  private func loop(
    user: Int, token: String, until end: ContinuousClock.Instant
  ) async throws
    -> Result
  {
    let identity = Ordp_Identity_V1_Identity_Client(channel: platform.identityChannel)
    let catalogue = Ordp_Catalogue_V1_Catalogue_Client(channel: platform.catalogueChannel)
    let analytics = Ordp_Analytics_V1_Analytics_Client(channel: platform.analyticsChannel)
    let options = bearer(token)
    let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
    let calls: [@Sendable () async throws -> Void] = [
      { _ = try await identity.getUser(.init(), options: options) },
      {
        _ = try await catalogue.search(
          .with {
            $0.query = "Strasse"
            $0.facets = true
            $0.pageSize = 20
          }, options: options)
      },
      {
        _ = try await catalogue.getDataset(
          .with { $0.id = platform.datasets[user % platform.datasets.count] }, options: options)
      },
      {
        _ = try await analytics.aggregate(
          .with {
            $0.streams.datastreamIds = [platform.streams[user % platform.streams.count]]
            $0.fromMicros = now - 86_400_000_000
            $0.toMicros = now
            $0.bucket.fixedSeconds = 3600
            $0.functions = [.avg, .max, .p95]
          }, options: options
        ) { pages in for try await _ in pages {} }
      },
      {
        _ = try await analytics.latest(
          .with { $0.streams.datastreamIds = platform.streams }, options: options)
      },
    ]
    var result = Result()
    var step = user
    while ContinuousClock.now < end {
      let call = calls[step % calls.count]
      step += 1
      let started = ContinuousClock.now
      do {
        try await call()
      } catch let error as RPCError {
        result.failures["\(error.code): \(error.message.prefix(80))", default: 0] += 1
      } catch {
        result.failures["\(error)".prefix(80).description, default: 0] += 1
      }
      let elapsed = started.duration(to: .now)
      _ = result.histogram.record(
        UInt64(elapsed.components.seconds) * 1_000_000_000
          + UInt64(elapsed.components.attoseconds / 1_000_000_000))
      result.calls += 1
    }
    return result
  }
}
