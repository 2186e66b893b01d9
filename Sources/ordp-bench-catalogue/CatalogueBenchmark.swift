import ArgumentParser
import Foundation
import GRDB
import Histogram
import Logging
import ORDPBenchSupport
import ORDPCatalogue
import ORDPCatalogueAPI
import ORDPRPC
import ORDPServiceKit

/// The catalogue's figures: CKAN import rate over ORDP/1, and search latency over the RPC
/// against the same queries written by hand as plain SQL on the same SQLite file.
@main
struct CatalogueBenchmark: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ordp-bench-catalogue",
    abstract: "Benchmark the catalogue: import, and search over the RPC versus hand-written SQL.")

  @Option(help: "Synthetic datasets to import.") var datasets = 100_000
  @Option(help: "Concurrent import streams.") var importStreams = 4
  @Option(help: "Rounds over the query mix (each query once per round, per side).")
  var rounds = 30
  @Option(help: "Directory for the database (default: a fresh temporary one, removed after).")
  var dataDir: String?

  func run() async throws {
    let quiet = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
    let temporary = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ordp-bench-catalogue-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: temporary) }
    let directory = dataDir.map { URL(fileURLWithPath: $0) } ?? temporary

    // Identity (for the import's token) and the catalogue, in this process, over TLS.
    let store = try SQLiteCatalogueStore(directory: directory.appendingPathComponent("catalogue"))
    let platform = try await BenchPlatform.start(directory: temporary) { identity in
      [
        try await CatalogueAssembly.assemble(
          .init(dataDirectory: directory.appendingPathComponent("catalogue")), store: store,
          identity: identity, logger: quiet)
      ]
    }
    let client = Ordp_Catalogue_V1_Catalogue_Client(channel: platform.channel)

    print("ORDP catalogue benchmark; cores: \(ProcessInfo.processInfo.activeProcessorCount)")
    print("catalogue in this process over ORDP/1 with TLS on loopback, SQLite WAL synchronous=FULL")
    let existing = try await store.latestPosition()
    if existing == 0 {
      try await importCatalogue(client: client, options: platform.admin)
    } else {
      print("\nimport: skipped, \(dataDir ?? "") already holds \(existing) changes")
    }
    // What a restarted catalogue does before it serves: build the index from the change feed.
    let warm = ContinuousClock.now
    try await CatalogueService(store: store, logger: quiet).warmUp()
    print(
      "\nsearch index: built from the change feed in \(format(warm.duration(to: .now).seconds)) s"
        + "; process resident memory now \(residentMiB()) MiB")
    let file = directory.appendingPathComponent("catalogue/catalogue.sqlite").path
    try await compareSearch(client: client, file: file)
    try await platform.shutdown()
  }

  /// CKAN `package_show` documents over `ImportCkan`, `importStreams` streams at once.
  func importCatalogue(
    client: Ordp_Catalogue_V1_Catalogue_Client, options: CallOptions
  )
    async throws
  {
    // The documents are made before the clock starts: the figure is the catalogue's.
    let synthetic = SyntheticCatalogue()
    let documents = (0..<datasets).map { synthetic.ckanJSON($0) }
    let start = ContinuousClock.now
    let perStream = (datasets + importStreams - 1) / importStreams
    let outcomes = try await withThrowingTaskGroup(of: [Int].self) { group in
      for stream in 0..<importStreams {
        let range = (stream * perStream)..<min(datasets, (stream + 1) * perStream)
        group.addTask {
          let results = try await client.importCkan(options: options) { writer in
            for index in range {
              try await writer.write(.with { $0.ckanJson = documents[index] })
            }
          }
          var counts = [0, 0, 0, 0, 0]
          for result in results { counts[result.outcome.rawValue] += 1 }
          return counts
        }
      }
      return try await group.reduce(into: [0, 0, 0, 0, 0]) { total, counts in
        for index in 0..<5 { total[index] += counts[index] }
      }
    }
    let seconds = start.duration(to: .now).seconds
    print(
      "\nimport: \(datasets) CKAN documents over ImportCkan (\(importStreams) streams), "
        + "\(outcomes[1]) created, \(outcomes[4]) rejected")
    print("  \(Int(Double(datasets) / seconds)) datasets/s (\(format(seconds)) s)")
  }

  /// Every query of the mix over the RPC (anonymous: public datasets) and by hand in SQL, in
  /// alternation, `rounds` times.
  func compareSearch(client: Ordp_Catalogue_V1_Catalogue_Client, file: String) async throws {
    var configuration = Configuration()
    configuration.readonly = true
    // The same reading setup as the store's connections.
    configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA mmap_size = 1073741824") }
    let pool = try DatabasePool(path: file, configuration: configuration)
    let mix = QueryMix.all
    var rpc = mix.map { _ in Self.histogram() }
    var sql = mix.map { _ in Self.histogram() }
    var rpcAll = Self.histogram()
    var sqlAll = Self.histogram()
    var totals = mix.map { _ in (rpc: UInt64(0), sql: 0) }
    for _ in 0..<2 {  // warm-up
      for query in mix {
        _ = try await client.search(query.request)
        _ = try await pool.read { db in try query.handWritten(db) }
      }
    }
    for _ in 0..<rounds {
      for (index, query) in mix.enumerated() {
        var begin = ContinuousClock.now
        let response = try await client.search(query.request)
        var micros = begin.duration(to: .now).micros
        _ = rpc[index].record(micros)
        _ = rpcAll.record(micros)
        begin = ContinuousClock.now
        let total = try await pool.read { db in try query.handWritten(db) }
        micros = begin.duration(to: .now).micros
        _ = sql[index].record(micros)
        _ = sqlAll.record(micros)
        totals[index] = (response.total, total)
      }
    }
    print(
      "\nsearch: \(mix.count) queries × \(rounds) rounds, page of 20 with total and 5 facets, one at a time"
    )
    print(
      "  query                                   matches   RPC p50    p99   SQL p50    p99   ratio p50"
    )
    for (index, query) in mix.enumerated() {
      let same =
        totals[index].rpc == UInt64(totals[index].sql) ? "" : " (SQL: \(totals[index].sql))"
      print(
        "  " + query.name.padding(toLength: 38, withPad: " ", startingAt: 0)
          + pad(String(totals[index].rpc), 9)
          + pad(ms(rpc[index], 50), 10) + pad(ms(rpc[index], 99), 7)
          + pad(ms(sql[index], 50), 10) + pad(ms(sql[index], 99), 7)
          + pad(ratio(rpc[index], sql[index]), 10) + same)
    }
    print(
      "  " + "all".padding(toLength: 38, withPad: " ", startingAt: 0) + pad("", 9)
        + pad(ms(rpcAll, 50), 10) + pad(ms(rpcAll, 99), 7) + pad(ms(sqlAll, 50), 10)
        + pad(ms(sqlAll, 99), 7) + pad(ratio(rpcAll, sqlAll), 10))
    print("  (ms; ratio = RPC p50 / SQL p50; target: ratio ≤ 2, RPC p99 < 50 ms)")
  }

  static func histogram() -> Histogram<UInt64> {
    Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
  }

  func ms(_ histogram: Histogram<UInt64>, _ percentile: Double) -> String {
    String(format: "%.2f", Double(histogram.valueAtPercentile(percentile)) / 1000)
  }

  func ratio(_ a: Histogram<UInt64>, _ b: Histogram<UInt64>) -> String {
    String(
      format: "%.2f",
      Double(a.valueAtPercentile(50)) / Double(max(1, b.valueAtPercentile(50))))
  }

  func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
  }
}

/// Resident set size of this process (Linux /proc), in MiB.
func residentMiB() -> Int {
  guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
    let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
  else { return -1 }
  return pages * 4096 / (1 << 20)
}

func format(_ value: Double) -> String { String(format: "%.1f", value) }

extension Duration {
  var micros: UInt64 { UInt64(max(0, seconds * 1e6)) }
}
