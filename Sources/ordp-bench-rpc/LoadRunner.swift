import Foundation
import Histogram
import ORDPBenchSupport
import ORDPEcho
import ORDPRPC

/// One printed row.
struct Row {
  var name: String
  var inFlight: Int
  var result: LoadResult
  /// The median over rounds of this row's calls/s over the floor's in the same round.
  var pairedRatio: Double?
  /// The lowest and highest of those per-round ratios.
  var pairedRange: (low: Double, high: Double)?

  /// The paired ratio with the range of the per-round ratios, e.g. "1.04 (0.93–1.15)".
  static func pairedText(_ row: Row) -> String {
    guard let ratio = row.pairedRatio else { return "–" }
    guard let range = row.pairedRange, range.low < range.high else {
      return String(format: "%.2f", ratio)
    }
    return String(format: "%.2f (%.2f–%.2f)", ratio, range.low, range.high)
  }

  /// "vs floor": the median round's calls/s over the floor's median round; "paired": the
  /// median of the per-round ratios (steadier when the machine's speed drifts), with their
  /// lowest and highest (what a single round may show).
  static func printTable(_ rows: [Row]) {
    print(
      "| transport | in flight | calls/s | p50 µs | p99 µs | CPU µs/call (user+sys) | vs floor | paired (range) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows {
      let floor = rows.first { $0.name.contains("(floor)") && $0.inFlight == row.inFlight }
      let ratio = floor.map { row.result.callsPerSecond / $0.result.callsPerSecond } ?? 0
      print(
        String(
          format: "| %@ | %d | %.0f | %.1f | %.1f | %.1f + %.1f | %.2f | %@ |", row.name,
          row.inFlight, row.result.callsPerSecond, row.result.p50Micros, row.result.p99Micros,
          row.result.userMicrosPerCall, row.result.systemMicrosPerCall, ratio,
          pairedText(row)))
    }
  }
}

/// A server stream of small messages, consumed as fast as possible.
enum StreamRun {
  static func messagesPerSecond(
    channel: RPCChannel, count: Int, executor: any TaskExecutor
  ) async throws -> Double {
    let client = ORDPEchoClientFactory.make(channel)
    return try await Task(executorPreference: executor) {
      var request = ORDPEchoClientFactory.request(repeat: count)
      request.text = "0123456789abcdef"
      let clock = ContinuousClock()
      let start = clock.now
      let received = try await client.expand(request) { stream in
        var n = 0
        for try await _ in stream { n += 1 }
        return n
      }
      let elapsed = clock.now - start
      precondition(received == count, "stream delivered \(received) of \(count)")
      let seconds =
        Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
      return Double(received) / seconds
    }.value
  }
}

enum ORDPEchoClientFactory {
  static func make(_ channel: RPCChannel) -> Ordp_Echo_V1_Echo_Client {
    Ordp_Echo_V1_Echo_Client(channel: channel)
  }
  static func request(repeat count: Int) -> Ordp_Echo_V1_EchoRequest {
    var r = Ordp_Echo_V1_EchoRequest()
    r.repeat = UInt32(count)
    return r
  }
}
