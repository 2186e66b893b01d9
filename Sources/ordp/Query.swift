import ArgumentParser
import Foundation
import ORDPAnalyticsAPI
import ORDPObservationFiles
import ORDPRPC

/// Which datastreams a query concerns.
struct SelectorOptions: ParsableArguments {
  @Option(help: "Datastream ids (repeatable; none: every stream you may see).") var stream:
    [String] = []
  @Option(help: "Only these towns (repeatable).") var town: [String] = []
  @Option(help: "Only this observed property (repeatable), e.g. water_level.") var property:
    [String] = []
  @Option(help: "Only streams of this catalogue dataset (repeatable).") var dataset: [String] = []

  var selector: Ordp_Analytics_V1_StreamSelector {
    .with {
      $0.datastreamIds = stream
      $0.owners = town
      $0.observedProperties = property
      $0.datasetIds = dataset
    }
  }
}

/// A time range from the command line: --from/--to as times (ISO 8601, German dates, Unix
/// time, wall-clock in Berlin), or --hours back from now.
struct RangeOptions: ParsableArguments {
  @Option(help: "Start (e.g. 2026-12-01, 2026-12-01T06:00+01:00, 01.12.2026 06:00).") var from:
    String?
  @Option(help: "End, exclusive (default: now).") var to: String?
  @Option(help: "Hours back from the end (when --from is not given).") var hours = 24

  func range() throws -> (from: Int64, to: Int64) {
    let parser = TimeParser(timeZone: TimeZone(identifier: "Europe/Berlin") ?? .gmt)
    func time(_ text: String, _ name: String) throws -> Int64 {
      let full = text.count == 10 && text.contains("-") ? text + " 00:00" : text
      guard let micros = parser.micros(full[...]) else {
        throw ValidationError("--\(name): \"\(text)\" is not a time")
      }
      return micros
    }
    let end = try to.map { try time($0, "to") } ?? Int64(Date().timeIntervalSince1970 * 1_000_000)
    guard (1...(24 * 366 * 20)).contains(hours) else {
      throw ValidationError("--hours must be in 1...175680")
    }
    let start = try from.map { try time($0, "from") } ?? end - Int64(hours) * 3_600_000_000
    guard start < end else { throw ValidationError("--from must be before --to") }
    return (start, end)
  }
}

/// `ordp query …`: analytics' answers as tables, CSV or JSON.
struct Query: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Query observations: aggregates, latest values, raw observations.",
    subcommands: [AggregateQuery.self, LatestQuery.self, RawQuery.self])
}

/// Calls analytics with the session's token (`calling`).
func withAnalytics<T>(
  _ connection: ConnectionOptions, timeout: Bool = true,
  _ body: (Ordp_Analytics_V1_Analytics_Client, CallOptions) async throws -> T
) async throws -> T {
  try await calling(connection, timeout: timeout) { try await body(.init(channel: $0), $1) }
}

struct AggregateQuery: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "aggregate",
    abstract: "Aggregates over time: e.g. hourly avg and p95 of a stream over the last day.")

  @OptionGroup var connection: ConnectionOptions
  @OptionGroup var streams: SelectorOptions
  @OptionGroup var range: RangeOptions
  @Option(help: "Bucket: none, a number of minutes, or day, week, month, year (Berlin).")
  var bucket = "60"
  @Option(
    help: "Functions, comma-separated: count,sum,min,max,avg,first,last,stddev,p50,p90,p95,p99.")
  var functions = "count,avg,p95"
  @Option(help: "Group by stream, town or property.") var groupBy = "stream"
  @Option(help: "table, json or csv.") var output: OutputFormat = .table

  static let names: [String: Ordp_Analytics_V1_AggregateFunction] = [
    "count": .count, "sum": .sum, "min": .min, "max": .max, "avg": .avg, "first": .first,
    "last": .last, "stddev": .stddev, "p50": .p50, "p90": .p90, "p95": .p95, "p99": .p99,
  ]

  func run() async throws {
    var request = Ordp_Analytics_V1_AggregateRequest()
    request.streams = streams.selector
    (request.fromMicros, request.toMicros) = try range.range()
    switch bucket {
    case "none": break
    case "day": request.bucket.calendar = .day
    case "week": request.bucket.calendar = .week
    case "month": request.bucket.calendar = .month
    case "year": request.bucket.calendar = .year
    default:
      guard let minutes = Int64(bucket), (1...(31 * 1440)).contains(minutes) else {
        throw ValidationError("--bucket: none, 1…44640 minutes, day, week, month or year")
      }
      request.bucket.fixedSeconds = minutes * 60
    }
    let wanted = functions.split(separator: ",").map(String.init)
    request.functions = try wanted.map { name in
      guard let function = Self.names[name] else {
        throw ValidationError("unknown function \(name)")
      }
      return function
    }
    switch groupBy {
    case "stream": request.groupBy = .stream
    case "town": request.groupBy = .town
    case "property": request.groupBy = .observedProperty
    default: throw ValidationError("--group-by: stream, town or property")
    }
    var rows: [[String]] = []
    try await withAnalytics(connection, timeout: false) { analytics, options in
      try await analytics.aggregate(request, options: options) { pages in
        for try await page in pages {
          for row in page.rows {
            rows.append(
              [row.group, isoTime(row.bucketStartMicros)]
                + row.values.map { $0.isNaN ? "" : String(format: "%.4g", $0) })
          }
        }
      }
    }
    print(output.render(columns: ["group", "bucket start"] + wanted, rows: rows))
  }
}

struct LatestQuery: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "latest", abstract: "The latest observation of each stream.")

  @OptionGroup var connection: ConnectionOptions
  @OptionGroup var streams: SelectorOptions
  @Option(help: "table, json or csv.") var output: OutputFormat = .table

  func run() async throws {
    let values = try await withAnalytics(connection) { analytics, options in
      try await analytics.latest(.with { $0.streams = streams.selector }, options: options)
        .values
    }
    print(
      output.render(
        columns: ["stream", "time", "value", "quality"],
        rows: values.map {
          [$0.datastreamID, isoTime($0.timeMicros), "\($0.result)", "\($0.quality)"]
        }))
  }
}

struct RawQuery: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "raw", abstract: "Raw observations, by stream and time (every page).")

  @OptionGroup var connection: ConnectionOptions
  @OptionGroup var streams: SelectorOptions
  @OptionGroup var range: RangeOptions
  @Option(help: "At most this many observations (1–10000000).") var limit = 100_000
  @Option(help: "table, json or csv.") var output: OutputFormat = .csv

  func validate() throws {
    guard (1...10_000_000).contains(limit) else { throw ValidationError("--limit: 1...10000000") }
  }

  func run() async throws {
    var request = Ordp_Analytics_V1_ReadObservationsRequest()
    request.streams = streams.selector
    (request.fromMicros, request.toMicros) = try range.range()
    request.pageSize = UInt32(min(limit, 100_000))
    var rows: [[String]] = []
    try await withAnalytics(connection, timeout: false) { analytics, options in
      while rows.count < limit {
        var cursor = ""
        try await analytics.readObservations(request, options: options) { pages in
          for try await page in pages {
            for series in page.series {
              for index in series.timesMicros.indices where rows.count < limit {
                let quality = index < series.qualities.count ? series.qualities[index] : 0
                rows.append([
                  series.datastreamID, isoTime(series.timesMicros[index]),
                  "\(series.results[index])", "\(quality)",
                ])
              }
            }
            cursor = page.cursor
          }
        }
        if cursor.isEmpty { break }
        request.cursor = cursor
      }
    }
    print(output.render(columns: ["stream", "time", "value", "quality"], rows: rows))
  }
}
