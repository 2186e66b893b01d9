import ArgumentParser
import Foundation
import Logging
import ORDPAnalytics
import ORDPAnalyticsAPI
import ORDPBenchSupport
import ORDPRPC
import ORDPServiceKit

/// The analytics figures: ingest over ORDP/1 with durable acknowledgements, and aggregate
/// query latency against DuckDB running the same queries on the same data.
@main
struct AnalyticsBenchmark: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ordp-bench-analytics",
    abstract: "Benchmark analytics: ingest rate, and aggregate queries versus DuckDB.")

  @Option(help: "Datastreams.") var streams = 10
  @Option(help: "Days of 1-minute data per stream.") var days = 365
  @Option(help: "Observations per ingest batch.") var batch = 10_000
  @Option(help: "Concurrent ingest calls (streams are split among them).") var calls = 2
  @Option(help: "Timed runs of each query (after one warm-up run).") var rounds = 10
  @Option(help: "Python with duckdb (default: .build/python/bin/python).") var python =
    ".build/python/bin/python"

  static let start: Int64 = 1_704_067_200_000_000  // 2024-01-01T00:00Z
  static let minute: Int64 = 60_000_000

  /// A counting-station-like day curve with deterministic noise.
  static func value(stream: Int, minute index: Int) -> Double {
    let day = Double(index % 1440) / 1440
    var hash = UInt64(index) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(stream) &* 0xBF58_476D_1CE4_E5B9
    hash ^= hash >> 29
    let noise = Double(hash % 1000) / 100
    return (40 + 35 * sin(2 * .pi * (day - 0.3)) + Double(stream) * 3 + noise).rounded() / 1
  }

  func run() async throws {
    let quiet = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
    let temporary = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ordp-bench-analytics-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: temporary) }

    let store = try SQLiteAnalyticsStore(directory: temporary.appendingPathComponent("analytics"))
    var assembled: ServiceAssembly? = nil
    let platform = try await BenchPlatform.start(directory: temporary) { identity in
      let analytics = try await AnalyticsAssembly.assemble(
        .init(dataDirectory: temporary.appendingPathComponent("analytics")), store: store,
        identity: identity, logger: quiet)
      assembled = analytics
      return [analytics]
    }
    // The retention run sweeps at chosen moments, with the service the server runs.
    guard let service = assembled?.services.first as? AnalyticsService else {
      throw ValidationError("analytics was not assembled")
    }
    let client = Ordp_Analytics_V1_Analytics_Client(channel: platform.channel)
    let auth = platform.admin

    var ids: [String] = []
    for index in 0..<streams {
      let created = try await client.createDatastream(
        .with {
          $0.datastream.owner = ["soest", "arnsberg", "olpe", "menden", "bad-berleburg"][index % 5]
          $0.datastream.name = "Zählstelle \(index)"
          $0.datastream.observedProperty = "bicycle_count"
          $0.datastream.unit = "1"
        }, options: auth)
      ids.append(created.id)
    }
    let points = days * 1440
    print("ORDP analytics benchmark; cores: \(ProcessInfo.processInfo.activeProcessorCount)")
    print(
      "analytics in this process over ORDP/1 with TLS on loopback; SQLite WAL synchronous=FULL,"
        + " blocks of 2048 observations, hour and Berlin-day rollups")
    print(
      "data: \(streams) streams × \(days) days of 1-minute observations = \(streams * points) points"
    )

    try await ingest(client: client, ids: ids, points: points, auth: auth)
    let csv = temporary.appendingPathComponent("observations.csv")
    try writeCSV(csv, points: points)
    let reference = try runDuckDB(csv: csv)
    try await compareQueries(client: client, ids: ids, points: points, auth: auth, duck: reference)
    try await expireWhileIngesting(client: client, service: service, points: points, auth: auth)
    try await platform.shutdown()
  }

  /// Every stream's year, time-major (each batch holds the next minutes of the call's streams,
  /// as sensors deliver), over `calls` concurrent Ingest calls; the clock runs from the first
  /// batch sent to the last acknowledgement.
  func ingest(
    client: Ordp_Analytics_V1_Analytics_Client, ids: [String], points: Int, auth: CallOptions
  ) async throws {
    var plans: [[Ordp_Analytics_V1_IngestBatch]] = []
    for call in 0..<calls {
      let mine = Array(stride(from: call, to: streams, by: calls))
      let perStream = max(1, batch / max(1, mine.count))
      var batches: [Ordp_Analytics_V1_IngestBatch] = []
      for offset in stride(from: 0, to: points, by: perStream) {
        var message = Ordp_Analytics_V1_IngestBatch()
        message.batchID = UInt64(batches.count)
        let range = offset..<min(offset + perStream, points)
        for stream in mine {
          var series = Ordp_Analytics_V1_Series()
          series.datastreamID = ids[stream]
          series.timesMicros = range.map { Self.start + Int64($0) * Self.minute }
          series.results = range.map { Self.value(stream: stream, minute: $0) }
          message.series.append(series)
        }
        batches.append(message)
      }
      plans.append(batches)
    }
    let began = ContinuousClock.now
    let totals = try await withThrowingTaskGroup(of: (UInt64, UInt64).self) { group in
      for batches in plans {
        group.addTask {
          try await client.ingest(
            options: auth,
            requests: { writer in for message in batches { try await writer.write(message) } },
            onResponse: { acks in
              var accepted: UInt64 = 0
              var other: UInt64 = 0
              for try await ack in acks {
                accepted += ack.accepted
                other += ack.duplicates + ack.rejected
              }
              return (accepted, other)
            })
        }
      }
      return try await group.reduce(into: (UInt64(0), UInt64(0))) {
        $0.0 += $1.0
        $0.1 += $1.1
      }
    }
    let seconds = began.duration(to: .now).seconds
    let total = streams * points
    print("\ningest (\(calls) calls, batches of \(batch), every batch acknowledged once durable):")
    print(
      "  \(Int(Double(total) / seconds)) observations/s (\(format(seconds)) s; accepted \(totals.0), duplicate or rejected \(totals.1))"
    )
    guard totals.0 == UInt64(total) else {
      throw ValidationError("ingest accepted \(totals.0) of \(total)")
    }
  }

  func writeCSV(_ url: URL, points: Int) throws {
    _ = FileManager.default.createFile(atPath: url.path, contents: nil)
    let handle = try FileHandle(forWritingTo: url)
    defer { try? handle.close() }
    try handle.write(contentsOf: Data("stream,t,v\n".utf8))
    for stream in 0..<streams {
      var text = ""
      text.reserveCapacity(points * 30)
      for index in 0..<points {
        text +=
          "\(stream),\(Self.start + Int64(index) * Self.minute),\(Self.value(stream: stream, minute: index))\n"
      }
      try handle.write(contentsOf: Data(text.utf8))
    }
  }

  struct Reference: Decodable {
    struct Query: Decodable {
      var median_ms: Double
      var best_ms: Double
      var rows: Int
      var sum_avg: Double?
      var sum_p95: Double?
      var latest: [String: [Double]]?
    }
    var rows: Int
    var load_ms: Double
    var threads: Int
    var queries: [String: Query]
  }

  func runDuckDB(csv: URL) throws -> Reference {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = ["scripts/duckdb-bench.py", csv.path, "0", "\(rounds)"]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw ValidationError("duckdb-bench.py failed (\(process.terminationStatus))")
    }
    return try JSONDecoder().decode(Reference.self, from: data)
  }
}

func format(_ value: Double) -> String { String(format: "%.1f", value) }
