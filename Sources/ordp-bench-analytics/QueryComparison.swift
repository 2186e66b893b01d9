import Foundation
import ORDPAnalyticsAPI
import ORDPRPC

extension AnalyticsBenchmark {
  /// Times one query `rounds` times after a warm-up; returns the median and best in ms and
  /// the last answer.
  func time<T: Sendable>(_ body: () async throws -> T) async throws -> (Double, Double, T) {
    var answer = try await body()
    var times: [Double] = []
    for _ in 0..<rounds {
      let began = ContinuousClock.now
      answer = try await body()
      times.append(began.duration(to: .now).seconds * 1000)
    }
    times.sort()
    return (times[times.count / 2], times[0], answer)
  }

  func compareQueries(
    client: Ordp_Analytics_V1_Analytics_Client, ids: [String], points: Int, auth: CallOptions,
    duck: Reference
  ) async throws {
    let end = Self.start + Int64(points) * Self.minute
    func aggregate(
      _ request: Ordp_Analytics_V1_AggregateRequest
    ) async throws
      -> [Ordp_Analytics_V1_AggregateRow]
    {
      try await client.aggregate(request, options: auth) { pages in
        var rows: [Ordp_Analytics_V1_AggregateRow] = []
        for try await page in pages { rows += page.rows }
        return rows
      }
    }
    let hourly = Ordp_Analytics_V1_AggregateRequest.with {
      $0.fromMicros = Self.start
      $0.toMicros = end
      $0.bucket.fixedSeconds = 3600
      $0.functions = [.avg, .p95]
    }
    let daily = Ordp_Analytics_V1_AggregateRequest.with {
      $0.streams.datastreamIds = [ids[0]]
      $0.fromMicros = Self.start
      $0.toMicros = end
      $0.bucket.calendar = .day
      $0.functions = [.avg, .p95]
    }
    let (hourlyMedian, hourlyBest, hourlyRows) = try await time { try await aggregate(hourly) }
    let (dailyMedian, dailyBest, dailyRows) = try await time { try await aggregate(daily) }
    let (latestMedian, latestBest, latest) = try await time {
      try await client.latest(Ordp_Analytics_V1_LatestRequest(), options: auth)
    }

    print(
      "\nqueries over ORDP/1 (median and best of \(rounds) after a warm-up) vs DuckDB \(duck.threads) threads in-process on the same \(duck.rows) rows (loaded from CSV in \(format(duck.load_ms / 1000)) s):"
    )
    print("  query                              ORDP ms (best)     DuckDB ms (best)    ratio")
    func line(_ name: String, _ ours: (Double, Double), _ theirs: Reference.Query?) {
      let reference = theirs.map { "\(format($0.median_ms)) (\(format($0.best_ms)))" } ?? "-"
      let ratio = theirs.map { String(format: "%.2f×", ours.0 / $0.median_ms) } ?? "-"
      print(
        "  \(name.padding(toLength: 34, withPad: " ", startingAt: 0)) \(pad("\(format(ours.0)) (\(format(ours.1)))", 15))  \(pad(reference, 18))  \(pad(ratio, 7))"
      )
    }
    line(
      "hourly avg+p95, \(days) d, all streams", (hourlyMedian, hourlyBest),
      duck.queries["hourly_all"])
    line(
      "  DuckDB with approx_quantile", (hourlyMedian, hourlyBest), duck.queries["hourly_all_approx"]
    )
    line(
      "daily avg+p95, \(days) d, one stream", (dailyMedian, dailyBest), duck.queries["daily_one"])
    line("latest per stream", (latestMedian, latestBest), duck.queries["latest"])

    // The answers agree: same rows, same averages, p95 within the sketch's 1 %.
    func check(_ name: String, _ rows: [Ordp_Analytics_V1_AggregateRow], _ theirs: Reference.Query?)
    {
      guard let theirs, let sumAvg = theirs.sum_avg, let sumP95 = theirs.sum_p95 else { return }
      let avg = rows.reduce(0) { $0 + $1.values[0] }
      let p95 = rows.reduce(0) { $0 + $1.values[1] }
      print(
        "  check \(name): rows \(rows.count) vs \(theirs.rows); Σavg relative difference \(String(format: "%.1e", abs(avg - sumAvg) / abs(sumAvg))); Σp95 \(String(format: "%.2f", 100 * abs(p95 - sumP95) / abs(sumP95))) %"
      )
    }
    check("hourly", hourlyRows, duck.queries["hourly_all"])
    check("daily", dailyRows, duck.queries["daily_one"])
    var latestAgrees = latest.values.count == ids.count
    for value in latest.values {
      guard let stream = ids.firstIndex(of: value.datastreamID),
        let theirs = duck.queries["latest"]?.latest?["\(stream)"]
      else {
        latestAgrees = false
        continue
      }
      latestAgrees =
        latestAgrees && Double(value.timeMicros) == theirs[0] && value.result == theirs[1]
    }
    print("  check latest: \(latestAgrees ? "same time and value for every stream" : "DIFFERS")")
  }

  func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
  }
}
