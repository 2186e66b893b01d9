import Foundation
import Logging
import ORDPAnalytics
import ORDPAnalyticsAPI
import ORDPRPC
import Synchronization

extension AnalyticsBenchmark {
  /// Expiry does not block ingest: acknowledgement latency of small ingest calls while the
  /// retention sweep deletes the older half of every stream, against the same without.
  func expireWhileIngesting(
    client: Ordp_Analytics_V1_Analytics_Client, service: AnalyticsService, points: Int,
    auth: CallOptions
  ) async throws {
    let live = try await client.createDatastream(
      .with {
        $0.datastream.owner = "menden"
        $0.datastream.name = "Live"
        $0.datastream.observedProperty = "air_temperature"
        $0.datastream.unit = "Cel"
      }, options: auth)
    let now = Int64(Date().timeIntervalSince1970) / 60 * 60_000_000
    let counter = Counter()
    /// Ingest calls of one 1,000-observation batch each, until `until` says stop.
    func ingestCalls(until: @escaping @Sendable () -> Bool) async throws -> [Double] {
      var latencies: [Double] = []
      repeat {
        let first = counter.next(1000)
        let times = (first..<(first + 1000)).map { now - 86_400_000_000 + Int64($0) * 1000 }
        let began = ContinuousClock.now
        let accepted = try await client.ingest(
          options: auth,
          requests: { writer in
            try await writer.write(
              .with {
                $0.batchID = 1
                $0.series = [
                  .with {
                    $0.datastreamID = live.id
                    $0.timesMicros = times
                    $0.results = times.map { Double($0 % 300) / 10 }
                  }
                ]
              })
          },
          onResponse: { acks in
            var accepted: UInt64 = 0
            for try await ack in acks { accepted += ack.accepted }
            return accepted
          })
        latencies.append(began.duration(to: .now).seconds * 1000)
        precondition(accepted == 1000)
      } while !until()
      return latencies.sorted()
    }
    let quietEnd = ContinuousClock.now + .seconds(1)
    let quiet = try await ingestCalls { ContinuousClock.now >= quietEnd }

    // The older half of the benchmark's data expires (raw and rollups).
    let middle = Self.start + Int64(points / 2) * Self.minute
    let days = UInt32((now - middle) / 86_400_000_000)
    for town in ["soest", "arnsberg", "olpe", "menden", "bad-berleburg"] {
      _ = try await client.setTownRetention(
        .with {
          $0.owner = town
          $0.retention.rawDays = days
          $0.retention.rollupDays = days
        }, options: auth)
    }
    let sweeper = RetentionSweeper(
      service: service, logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
    let done = Flag()
    let began = ContinuousClock.now
    async let deleted = {
      defer { done.set() }
      return try await sweeper.sweep()
    }()
    let during = try await ingestCalls { done.isSet }
    let removed = try await deleted
    let seconds = began.duration(to: .now).seconds
    func figures(_ values: [Double]) -> String {
      "p50 \(format(values[values.count / 2])) ms, p99 \(format(values[values.count * 99 / 100])) ms, max \(format(values.last!)) ms over \(values.count) calls"
    }
    print("\nretention: the older half of every stream expires while ingest goes on")
    print(
      "  sweep: \(removed) blocks and rollup cells deleted in \(format(seconds)) s, steps of 64 rows"
    )
    print("  ingest calls of 1,000 observations, acknowledged — quiet: \(figures(quiet))")
    print("  … during the sweep: \(figures(during))")
  }
}

final class Counter: Sendable {
  private let value = Mutex(0)
  func next(_ count: Int) -> Int {
    value.withLock { value in
      defer { value += count }
      return value
    }
  }
}

final class Flag: Sendable {
  private let value = Mutex(false)
  func set() { value.withLock { $0 = true } }
  var isSet: Bool { value.withLock { $0 } }
}
