import Foundation
public import Histogram

/// What one row measured.
public struct LoadResult: Sendable {
  public var calls: Int
  /// Calls made, warm-up included.
  public var allCalls: Int
  public var seconds: Double
  public var histogram: Histogram<UInt64>
  /// Process CPU time (user, system) per call, warm-up included, in µs.
  public var userMicrosPerCall: Double
  public var systemMicrosPerCall: Double
  public var callsPerSecond: Double { Double(calls) / seconds }
  public var p50Micros: Double { Double(histogram.valueAtPercentile(50)) / 1000 }
  public var p99Micros: Double { Double(histogram.valueAtPercentile(99)) / 1000 }
}

/// Runs `inFlight` callers in a closed loop, each making one call after the other.
public enum LoadRunner {
  public static func measure(
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
      calls: results.0, allCalls: results.1, seconds: seconds, histogram: results.2,
      userMicrosPerCall: usage.user / allCalls, systemMicrosPerCall: usage.system / allCalls)
  }
}

/// The process's CPU time so far, from getrusage.
public struct ProcessCPU: Sendable {
  public var user: Double
  public var system: Double

  public static func now() -> ProcessCPU {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return ProcessCPU(
      user: Double(usage.ru_utime.tv_sec) * 1e6 + Double(usage.ru_utime.tv_usec),
      system: Double(usage.ru_stime.tv_sec) * 1e6 + Double(usage.ru_stime.tv_usec))
  }

  /// Another process's CPU time so far (user and system, every thread), from
  /// `/proc/<pid>/stat` in clock ticks; nil where that cannot be read.
  public static func of(pid: Int32) -> ProcessCPU? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return nil }
    // After the command name: state is field 3, utime 14 and stime 15.
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else {
      return nil
    }
    let tick = 1e6 / Double(sysconf(Int32(_SC_CLK_TCK)))
    return ProcessCPU(user: user * tick, system: system * tick)
  }

  public static func - (a: ProcessCPU, b: ProcessCPU) -> ProcessCPU {
    ProcessCPU(user: a.user - b.user, system: a.system - b.system)
  }
}
