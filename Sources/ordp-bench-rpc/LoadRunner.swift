import Foundation
import Histogram
import ORDPEcho
import ORDPRPC

/// What one row measured.
struct LoadResult {
  var calls: Int
  var seconds: Double
  var histogram: Histogram<UInt64>
  /// Process CPU time (user, system) per call, warm-up included, in µs.
  var userMicrosPerCall: Double
  var systemMicrosPerCall: Double
  var callsPerSecond: Double { Double(calls) / seconds }
  var p50Micros: Double { Double(histogram.valueAtPercentile(50)) / 1000 }
  var p99Micros: Double { Double(histogram.valueAtPercentile(99)) / 1000 }
}

/// Runs `inFlight` callers in a closed loop, each making one call after the other.
enum LoadRunner {
  static func measure(
    inFlight: Int, duration: Duration, warmup: Duration, executor: (any TaskExecutor)?,
    call: @escaping @Sendable () async throws -> Void
  ) async throws -> LoadResult {
    let clock = ContinuousClock()
    let usageBefore = ProcessCPU.now()
    let start = clock.now
    let measureFrom = start + warmup
    let end = measureFrom + duration
    let results = try await withThrowingTaskGroup(of: (Int, Int, Histogram<UInt64>).self) { group in
      for _ in 0..<inFlight {
        let body: @Sendable () async throws -> (Int, Int, Histogram<UInt64>) = {
          var histogram = Histogram<UInt64>(
            highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
          var count = 0
          var all = 0
          while true {
            let t0 = clock.now
            if t0 >= end { break }
            try await call()
            all += 1
            if t0 >= measureFrom {
              let elapsed = clock.now - t0
              _ = histogram.record(
                UInt64(
                  elapsed.components.attoseconds / 1_000_000_000 + elapsed.components.seconds
                    * 1_000_000_000))
              count += 1
            }
          }
          return (count, all, histogram)
        }
        if let executor {
          group.addTask(executorPreference: executor, operation: body)
        } else {
          group.addTask(operation: body)
        }
      }
      var total = 0
      var everything = 0
      var merged = Histogram<UInt64>(
        highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
      for try await (count, all, h) in group {
        total += count
        everything += all
        merged.add(h)
      }
      return (total, everything, merged)
    }
    let usage = ProcessCPU.now() - usageBefore
    let seconds =
      Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    let allCalls = Double(max(1, results.1))
    return LoadResult(
      calls: results.0, seconds: seconds, histogram: results.2,
      userMicrosPerCall: usage.user / allCalls, systemMicrosPerCall: usage.system / allCalls)
  }
}

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

/// The process's CPU time so far, from getrusage.
struct ProcessCPU {
  var user: Double
  var system: Double

  static func now() -> ProcessCPU {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return ProcessCPU(
      user: Double(usage.ru_utime.tv_sec) * 1e6 + Double(usage.ru_utime.tv_usec),
      system: Double(usage.ru_stime.tv_sec) * 1e6 + Double(usage.ru_stime.tv_usec))
  }

  static func - (a: ProcessCPU, b: ProcessCPU) -> ProcessCPU {
    ProcessCPU(user: a.user - b.user, system: a.system - b.system)
  }
}
