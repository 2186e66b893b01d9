import Foundation
import NIOSSL
import ORDPCatalogueAPI
import ORDPRPC
import ORDPTestSupport
import Synchronization
import Testing

/// Identity, catalogue replicas and a gateway in front of them, each its own process on
/// loopback, the gateway reading a topology file (one catalogue partition holding every town).
final class ReplicaPlatform: Sendable {
  let identity: IdentityProcess
  let replicas: Mutex<[ServiceProcess]>
  let gateway: ServiceProcess
  let topologyFile: URL

  static func start(
    replicas count: Int, datasets: Int = 10, gatewayArguments: [String] = []
  ) async throws
    -> ReplicaPlatform
  {
    let identity = try await IdentityProcess.start()
    var replicas: [ServiceProcess] = []
    for _ in 0..<count {
      replicas.append(try await startReplica(identity: identity, datasets: datasets))
    }
    let topologyFile = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ordp-topology-\(UUID().uuidString).json")
    try topology(identity: identity, catalogue: replicas.map(\.port)).write(
      to: topologyFile, atomically: true, encoding: .utf8)
    let gateway = try await startGateway(
      identity: identity, topology: topologyFile,
      arguments: [
        "--metrics-port", "0",
        // The load of these tests is one caller's: no rate limit in its way.
        "--rate-limit", "read=0/1",
      ] + gatewayArguments, lines: 2)
    return ReplicaPlatform(
      identity: identity, replicas: replicas, gateway: gateway, topologyFile: topologyFile)
  }

  private init(
    identity: IdentityProcess, replicas: [ServiceProcess], gateway: ServiceProcess,
    topologyFile: URL
  ) {
    self.identity = identity
    self.replicas = Mutex(replicas)
    self.gateway = gateway
    self.topologyFile = topologyFile
  }

  /// An `ordp-gateway` process reading `topology`, reaching the backends over TLS.
  static func startGateway(
    identity: IdentityProcess, topology: URL, arguments: [String], lines: Int = 1
  ) async throws -> ServiceProcess {
    try await ServiceProcess.start(
      "ordp-gateway",
      arguments: identityArguments(identity) + [
        "--topology", topology.path, "--backend-ca", IdentityPKI.path("ca.pem"),
        "--backend-server-name", "localhost",
      ] + arguments, lines: lines)
  }

  static func identityArguments(_ identity: IdentityProcess) -> [String] {
    [
      "--identity-port", "\(identity.port)", "--identity-ca", IdentityPKI.path("ca.pem"),
      "--identity-server-name", "localhost",
    ]
  }

  /// A catalogue replica with the same ten demo datasets as every other (the demo data is
  /// deterministic), serving metrics; on `port` and `data` when restarting one.
  static func startReplica(
    identity: IdentityProcess, port: Int? = nil, data: URL? = nil, datasets: Int = 10,
    towns: [String]? = nil
  ) async throws -> ServiceProcess {
    try await ServiceProcess.start(
      "ordp-catalogue",
      arguments: identityArguments(identity) + [
        "--demo-datasets", "\(datasets)", "--metrics-port", "0", "--demo-time", "\(demoTime)",
      ] + (port.map { ["--port", "\($0)"] } ?? [])
        + (towns.map { ["--demo-towns", $0.joined(separator: ",")] } ?? []),
      dataDirectory: data, lines: 2)
  }

  /// The demo data's time in every catalogue a test starts: they hold the same data.
  static let demoTime = Int64(Date().timeIntervalSince1970 * 1_000_000)

  static func topology(identity: IdentityProcess, catalogue: [Int]) -> String {
    let replicas = catalogue.map { "\"127.0.0.1:\($0)\"" }.joined(separator: ", ")
    return """
      {"identity": {"replicas": ["127.0.0.1:\(identity.port)"]},
       "catalogue": {"partitions": [{"name": "all", "default": true, "replicas": [\(replicas)]}]},
       "analytics": {"partitions": [{"name": "all", "default": true, "replicas": ["127.0.0.1:9"]}]}}
      """
  }

  func replica(_ index: Int) -> ServiceProcess { replicas.withLock { $0[index] } }

  /// Kills replica `index` with `signal` and waits for it to end.
  func stopReplica(_ index: Int, signal: Int32) { replica(index).stop(signal: signal) }

  /// Starts replica `index` again on its port and data.
  func restartReplica(_ index: Int) async throws {
    let old = replica(index)
    let new = try await Self.startReplica(
      identity: identity, port: old.port, data: old.dataDirectory)
    replicas.withLock { $0[index] = new }
  }

  func channel() throws -> RPCChannel {
    RPCChannel(
      host: "127.0.0.1", port: gateway.port,
      security: .tls(
        trustRoots: try NIOSSLCertificate.fromPEMFile(IdentityPKI.path("ca.pem")),
        serverHostname: "localhost"))
  }

  func stop() {
    gateway.stop()
    for r in replicas.withLock({ $0 }) where r.process.isRunning { r.stop() }
    identity.stop()
    try? FileManager.default.removeItem(at: topologyFile)
  }
}

/// Searches through the gateway from `concurrency` tasks until told to stop; counts answers
/// and failures, each failure with the time it happened.
final class SearchLoad: Sendable {
  private struct Counts {
    var ok = 0
    var failures: [(at: ContinuousClock.Instant, error: String)] = []
    var stop = false
  }
  private let counts = Mutex(Counts())
  private let tasks: Mutex<[Task<Void, Never>]> = Mutex([])

  /// `total`: what every search must find (every replica holds the same datasets).
  init(client: Ordp_Catalogue_V1_Catalogue_Client, concurrency: Int, total: UInt64) {
    let started = (0..<concurrency).map { _ in
      Task { [self] in
        while !counts.withLock({ $0.stop }) {
          do {
            let r = try await client.search(.with { $0.pageSize = 5 })
            counts.withLock { c in
              if r.total == total {
                c.ok += 1
              } else {
                c.failures.append((.now, "total \(r.total)"))
              }
            }
          } catch {
            counts.withLock { $0.failures.append((.now, "\(error)")) }
          }
        }
      }
    }
    tasks.withLock { $0 = started }
  }

  var answered: Int { counts.withLock { $0.ok } }
  var failures: [(at: ContinuousClock.Instant, error: String)] { counts.withLock { $0.failures } }

  /// Waits until `more` further calls were answered (or 30 s passed).
  func waitForAnswers(_ more: Int) async throws {
    let target = answered + more
    let end = ContinuousClock.now + .seconds(30)
    while answered < target, ContinuousClock.now < end {
      try await Task.sleep(for: .milliseconds(20))
    }
  }

  func stop() async {
    counts.withLock { $0.stop = true }
    for t in tasks.withLock({ $0 }) { await t.value }
  }
}

/// The value of the metric line starting with `prefix` (name and labels), or nil.
func metric(_ text: String, _ prefix: String) -> Double? {
  text.split(separator: "\n").first { $0.hasPrefix(prefix) }
    .flatMap { Double($0.split(separator: " ").last ?? "") }
}
