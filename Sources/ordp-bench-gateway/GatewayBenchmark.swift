import ArgumentParser
import Foundation
import NIOSSL
import ORDPAnalyticsAPI
import ORDPBenchSupport
import ORDPCatalogueAPI
import ORDPIdentityAPI
import ORDPPlatformAPI
import ORDPRPC
import ORDPTestSupport

/// The gateway's benchmark: one unary read (`GetDataset`) direct to the catalogue, through the
/// gateway and through HAProxy (a relay that only relays) at each number of calls in flight —
/// calls/s, p50/p99 and the hop's added latency; then `GetDatasetOverview` against the slowest
/// of its three parts. Every process on this machine's cores (a release build:
/// scripts/bench-gateway.sh).
@main
struct GatewayBenchmark: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ordp-bench-gateway",
    abstract: "Direct vs gateway vs HAProxy, and the composite overview's latency.")

  @Option(help: "Seconds measured per row and round.") var seconds: Double = 3
  @Option(help: "Seconds of warm-up per row and round.") var warmup: Double = 1
  @Option(help: "Rounds; the median round of each row is printed.") var rounds = 3
  @Option(help: "Calls in flight, comma separated.") var inFlight = "1,64"
  @Option(help: "Demo datasets in the catalogue.") var datasets = 500

  func run() async throws {
    let platform = try await GatewayPlatform(datasets: datasets)
    defer { platform.stop() }
    let ca = try NIOSSLCertificate.fromPEMFile(IdentityPKI.path("ca.pem"))
    func channel(_ port: Int) -> RPCChannel {
      RPCChannel(
        host: "127.0.0.1", port: port, security: .tls(trustRoots: ca, serverHostname: "localhost"))
    }
    var targets: [(String, RPCChannel, Int32?)] = [
      ("direct", channel(platform.catalogue.port), nil),
      (
        "gateway", channel(platform.gateway.port),
        platform.gateway.process.processIdentifier
      ),
    ]
    if let port = platform.haproxyPort, let haproxy = platform.haproxy {
      targets.append(("HAProxy", channel(port), haproxy.processIdentifier))
    }
    defer { for (_, c, _) in targets { c.close() } }

    let direct = Ordp_Catalogue_V1_Catalogue_Client(channel: targets[0].1)
    let id = try await direct.search(.with { $0.pageSize = 1 }).hits[0].dataset.id
    let request = Ordp_Catalogue_V1_GetDatasetRequest.with { $0.id = id }
    let levels = inFlight.split(separator: ",").compactMap { Int($0) }
    let catalogue = platform.catalogue.process.processIdentifier
    print("ORDP gateway benchmark: GetDataset (one public dataset, \(datasets) in the catalogue),")
    print("TLS on every hop, one connection per client; \(rounds) rounds of \(seconds) s. Each")
    print("round measures every path in turn (the order rotating), so that the machine's drift")
    print("falls on all paths alike; a row is the path's median round by calls/s, its hop the")
    print("median of the rounds' differences to direct. CPU per call (warm-up included, from")
    print("/proc) of the relay and of the catalogue behind it.")
    if platform.haproxy == nil { print("HAProxy is not installed: its rows are left out.") }
    print()
    print(
      "| path | in flight | calls/s | p50 µs | p99 µs | hop p50 +µs | vs direct | relay CPU µs/call | catalogue CPU µs/call |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    for level in levels {
      var results = Array(repeating: [LoadResult](), count: targets.count)
      var relayCPU = Array(repeating: [Double](), count: targets.count)
      var backendCPU = Array(repeating: [Double](), count: targets.count)
      var hops = Array(repeating: [Double](), count: targets.count)
      for round in 0..<rounds {
        var p50s = Array(repeating: 0.0, count: targets.count)
        for step in 0..<targets.count {
          let index = (round + step) % targets.count
          let (_, channel, relay) = targets[index]
          let client = Ordp_Catalogue_V1_Catalogue_Client(channel: channel)
          let relayBefore = relay.flatMap { ProcessCPU.of(pid: $0) }
          let backendBefore = ProcessCPU.of(pid: catalogue)
          let result = try await LoadRunner.measure(
            inFlight: level, duration: .milliseconds(Int64(seconds * 1000)),
            warmup: .milliseconds(Int64(warmup * 1000)), executor: nil
          ) { _ = try await client.getDataset(request) }
          let calls = Double(max(1, result.allCalls))
          if let before = relayBefore, let after = relay.flatMap({ ProcessCPU.of(pid: $0) }) {
            let used = after - before
            relayCPU[index].append((used.user + used.system) / calls)
          }
          if let before = backendBefore, let after = ProcessCPU.of(pid: catalogue) {
            let used = after - before
            backendCPU[index].append((used.user + used.system) / calls)
          }
          results[index].append(result)
          p50s[index] = result.p50Micros
        }
        for index in targets.indices { hops[index].append(p50s[index] - p50s[0]) }
      }
      let rows = results.map { $0.sorted { $0.callsPerSecond < $1.callsPerSecond }[rounds / 2] }
      for (index, (name, _, _)) in targets.enumerated() {
        let r = rows[index]
        print(
          String(
            format: "| %@ | %d | %.0f | %.0f | %.0f | %@ | %.2f | %@ | %.0f |", name, level,
            r.callsPerSecond, r.p50Micros, r.p99Micros,
            index == 0 ? "–" : String(format: "%.0f", median(hops[index])),
            r.callsPerSecond / rows[0].callsPerSecond,
            relayCPU[index].isEmpty ? "–" : String(format: "%.1f", median(relayCPU[index])),
            backendCPU[index].isEmpty ? 0 : median(backendCPU[index])))
      }
    }
    try await overview(targets[1].1)
  }

  /// The overview of a dataset with one stream of 24 hours of 5-minute data, against its parts
  /// asked one by one through the gateway.
  func overview(_ channel: RPCChannel) async throws {
    let identity = Ordp_Identity_V1_Identity_Client(channel: channel)
    let catalogue = Ordp_Catalogue_V1_Catalogue_Client(channel: channel)
    let analytics = Ordp_Analytics_V1_Analytics_Client(channel: channel)
    let platform = Ordp_Platform_V1_Platform_Client(channel: channel)
    let admin = bearer(try await identity.login("admin", IdentityProcess.adminPassword).accessToken)
    let dataset = try await catalogue.createDataset(
      .with {
        $0.dataset.publisher = "soest"
        $0.dataset.title = "Pegel Soestbach"
        $0.dataset.description_p = "Wasserstände, alle 5 Minuten"
      }, options: admin)
    let stream = try await analytics.createDatastream(
      .with {
        $0.datastream.owner = "soest"
        $0.datastream.name = "Pegel Soestbach"
        $0.datastream.observedProperty = "water_level"
        $0.datastream.unit = "cm"
        $0.datastream.datasetID = dataset.id
      }, options: admin)
    let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
    _ = try await analytics.ingest(options: admin) { writer in
      try await writer.write(
        .with {
          $0.batchID = 1
          $0.series = [
            .with {
              $0.datastreamID = stream.id
              $0.timesMicros = (0..<288).map { now - Int64(288 - $0) * 300_000_000 }
              $0.results = (0..<288).map { 100 + Double($0 % 17) }
            }
          ]
        })
    } onResponse: { acks in
      for try await _ in acks {}
    }

    let duration = Duration.milliseconds(Int64(seconds * 1000))
    let warm = Duration.milliseconds(Int64(warmup * 1000))
    func p50(_ call: @escaping @Sendable () async throws -> Void) async throws -> Double {
      var values: [Double] = []
      for _ in 0..<rounds {
        values.append(
          try await LoadRunner.measure(
            inFlight: 1, duration: duration, warmup: warm, executor: nil, call: call
          ).p50Micros)
      }
      return values.sorted()[rounds / 2]
    }
    let selector = Ordp_Analytics_V1_StreamSelector.with { $0.datasetIds = [dataset.id] }
    let end = now
    let datasetID = dataset.id
    let catalogueP50 = try await p50 {
      _ = try await catalogue.getDataset(.with { $0.id = datasetID })
    }
    let identityP50 = try await p50 {
      _ = try await identity.getOrganisation(.with { $0.id = "soest" })
    }
    let analyticsP50 = try await p50 {
      async let list = analytics.listDatastreams(.with { $0.streams = selector })
      async let latest = analytics.latest(.with { $0.streams = selector })
      async let day = analytics.aggregate(
        .with {
          $0.streams = selector
          $0.fromMicros = end - 86_400_000_000
          $0.toMicros = end
          $0.functions = [.count, .min, .avg, .max]
        }
      ) { pages in for try await _ in pages {} }
      _ = try await (list, latest, day)
    }
    let overviewP50 = try await p50 {
      let o = try await platform.getDatasetOverview(.with { $0.datasetID = datasetID })
      precondition(o.datastreams.count == 1 && o.datasetStatus.code == 0)
    }
    let slowest = max(catalogueP50, identityP50, analyticsP50)
    print()
    print(
      "GetDatasetOverview (one call in flight), p50 µs, each part asked alone through the gateway:")
    print(
      "| catalogue (GetDataset) | analytics (list, latest, 24 h at once) | identity (GetOrganisation) | overview | overview ÷ slowest part |"
    )
    print("|---:|---:|---:|---:|---:|")
    print(
      String(
        format: "| %.0f | %.0f | %.0f | %.0f | %.2f |", catalogueP50, analyticsP50, identityP50,
        overviewP50, overviewP50 / slowest))
  }
}
