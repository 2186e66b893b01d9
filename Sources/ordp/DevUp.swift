import ArgumentParser
import Foundation
import Logging
import NIOSSL
import ORDPEcho
import ORDPPKI
import ORDPRPC
import ORDPServiceKit
import ServiceLifecycle

/// `ordp dev up`: runs the platform locally on loopback with a development PKI.
///
/// Starts identity, the catalogue, analytics and the gateway as their own processes — the
/// executables operators run, next to this one — with embedded storage under `--data-dir` and
/// demo data (towns and demo users, demo datasets, demo sensors with two weeks of data), and
/// supervises them: one that exits is logged and restarted with back-off while the others
/// keep serving. The gateway is the front door (`--port`, 7443). This process also serves the
/// runtime's echo demo (`--echo-port`). SIGTERM or SIGINT stops the services, then this
/// process.
struct DevUp: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "up",
    abstract: "Run ORDP locally: every service its own process, TLS on loopback, demo data.")

  @Option(help: "Address to listen on.") var host = "127.0.0.1"
  @Option(help: "Port of the gateway, the front door (0: any free port).") var port = 7443
  @Option(help: "Port of the identity service (0: any free port).") var identityPort = 7444
  @Option(help: "Port of the catalogue service (0: any free port).") var cataloguePort = 7445
  @Option(help: "Port of the analytics service (0: any free port).") var analyticsPort = 7446
  @Option(help: "Port of the runtime's echo demo (0: any free port).") var echoPort = 7449
  @Option(help: "Directory of the services' data (created when missing).")
  var dataDir = ".ordp/dev"
  @Option(help: "scrypt cost for passwords: log2 of N (17 = production strength).")
  var scryptLogN = 15
  @Option(help: "Directory of the development PKI (created when missing).")
  var pkiDir = ".ordp/dev/pki"
  @Flag(help: "Serve without TLS (local tests and benchmarks only).") var plaintext = false
  @Flag(help: "Require client certificates from the development CA (mutual TLS).")
  var requireClientCert = false
  @Option(help: "Seconds a connection may take for TLS and HELLO.") var handshakeTimeout: Double =
    10
  @Option(help: "Seconds without calls before a connection is closed.") var idleTimeout: Double =
    300
  @Flag(inversion: .prefixedNo, help: "One log line per call in every service (ordp.access).")
  var accessLog = true
  @Option(help: "Demo datasets to create in an empty catalogue.") var demoDatasets = 120
  @Option(
    help:
      "Partitions of the catalogue and of analytics, the demo towns spread over them (each partition its own processes and storage)."
  )
  var partitions = 1
  @Option(
    help:
      "Replicas of each partition. With embedded storage each replica has its own store: writes reach one of them (shared storage comes with PostgreSQL)."
  )
  var replicas = 1

  func validate() throws {
    for (flag, value) in [
      ("--port", port), ("--identity-port", identityPort), ("--catalogue-port", cataloguePort),
      ("--analytics-port", analyticsPort), ("--echo-port", echoPort),
    ] where !(0...65_535).contains(value) {
      throw ValidationError("\(flag) must be in 0...65535")
    }
    guard (1...DevTopology.towns.count).contains(partitions) else {
      throw ValidationError("--partitions must be in 1...\(DevTopology.towns.count)")
    }
    guard (1...4).contains(replicas) else { throw ValidationError("--replicas must be in 1...4") }
    guard (0...100_000).contains(demoDatasets) else {
      throw ValidationError("--demo-datasets must be in 0...100000")
    }
  }

  func run() async throws {
    LoggingSystem.bootstrap { label in
      var handler = StreamLogHandler.standardError(label: label)
      handler.logLevel = .info
      return handler
    }
    let logger = Logger(label: "ordp.dev")
    let pki = DevelopmentPKIDirectory(url: URL(fileURLWithPath: pkiDir))
    if !plaintext { try DevelopmentIdentities.ensure(pki) }
    let server = try ServerOptions.parse(serverArguments)
    let echo = ORDPServer(
      configuration: try server.configuration(defaultPort: echoPort), services: [EchoService()],
      logger: logger)
    echo.health.setStatus(.serving, forService: Ordp_Echo_V1_Echo.serviceName)

    let services = try makeServices(logger: logger)
    let group = ServiceGroup(
      configuration: .init(
        services: [.init(service: echo), .init(service: services)],
        gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
      tasks.addTask { try await group.run() }
      let address = try await echo.localAddress
      guard let ports = await services.ports() else {
        throw DevUpError("the services did not start (see their log above)")
      }
      // Lines on stdout for scripts and tests: where the platform listens. The first is the
      // front door, the gateway: the one address integrators use.
      let security = plaintext ? "plaintext" : "TLS, CA \(pkiDir)/ca.pem"
      let gateway = ports.first { $0.name == "ordp-gateway" }?.port ?? port
      let serviceLines = ports.filter { $0.name != "ordp-gateway" }.map {
        "ordp dev up: \($0.name.dropFirst(5)) on \(host):\($0.port)\n"
      }
      let scale =
        partitions == 1 && replicas == 1
        ? ""
        : "ordp dev up: \(partitions) partition(s) × \(replicas) replica(s), topology in \(dataDir)/topology.json\(replicas > 1 ? "; replicas do not share writes on embedded storage" : "")\n"
      let lines = """
        ordp dev up: listening on \(host):\(gateway) (gateway; \(security))
        \(serviceLines.joined())ordp dev up: echo demo on \(host):\(address.port ?? echoPort)
        ordp dev up: platform admin "admin", password in \(dataDir)/identity/initial-admin-password
        ordp dev up: demo users <town>.admin, <town>.editor, <town>.viewer (e.g. soest.editor), password in \(dataDir)/demo-password
        \(scale)
        """
      FileHandle.standardOutput.write(Data(lines.utf8))
      try await tasks.waitForAll()
    }
  }

  /// The services as supervised processes, in the order they start, with the arguments that
  /// wire them up: identity, then the catalogue and analytics (which verify identity's tokens),
  /// then the gateway in front of all three. Services reach each other over mutual TLS with
  /// the development client certificate.
  func makeServices(logger: Logger) throws -> PlatformProcesses {
    let directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
      .deletingLastPathComponent()
    func executable(_ name: String) throws -> URL {
      let url = directory.appendingPathComponent(name)
      guard FileManager.default.isExecutableFile(atPath: url.path) else {
        throw DevUpError("\(name) is not next to ordp in \(directory.path); build it first")
      }
      return url
    }
    let data = URL(fileURLWithPath: dataDir)
    let common = serverArguments
    // How the others reach identity (its port is added once known).
    var identityClient = ["--identity-host", host]
    var backendClient: [String] = []
    if plaintext {
      identityClient += ["--identity-plaintext"]
      backendClient = ["--backend-plaintext"]
    } else {
      identityClient += [
        "--identity-ca", pki("ca.pem"), "--identity-server-name", "localhost",
        "--identity-client-cert", pki("client.pem"), "--identity-client-key",
        pki("client-key.pem"),
      ]
      backendClient = [
        "--backend-ca", pki("ca.pem"), "--backend-server-name", "localhost",
        "--backend-client-cert", pki("client.pem"), "--backend-client-key",
        pki("client-key.pem"),
      ]
    }
    let executables = (
      identity: try executable("ordp-identity"), catalogue: try executable("ordp-catalogue"),
      analytics: try executable("ordp-analytics"), gateway: try executable("ordp-gateway")
    )
    let ports = (
      identity: identityPort, catalogue: cataloguePort, analytics: analyticsPort, gateway: port
    )
    let (scryptLogN, demoDatasets, host) = (self.scryptLogN, self.demoDatasets, self.host)
    let (identityArguments, backendArguments) = (identityClient, backendClient)
    let client: @Sendable ([String: Int]) -> [String] = { started in
      identityArguments + ["--identity-port", "\(started["ordp-identity"] ?? 0)"]
    }
    let layout = DevTopology(partitions: partitions, replicas: replicas)
    // One time for every catalogue's and analytics' demo data: replicas and partitions hold
    // the same.
    let demoTime = Int64(Date().timeIntervalSince1970 * 1_000_000)
    let topologyFile = data.appendingPathComponent("topology.json")
    var stages: [PlatformProcesses.Stage] = [
      { _ in
        SupervisedProcess(
          name: "ordp-identity", executable: executables.identity, port: ports.identity,
          logger: logger
        ) { port in
          common + [
            "--port", "\(port)", "--data-dir", data.appendingPathComponent("identity").path,
            "--scrypt-log-n", "\(scryptLogN)",
            "--demo-users-password-file", data.appendingPathComponent("demo-password").path,
          ]
        }
      }
    ]
    for member in layout.members(of: "catalogue") {
      stages.append { started in
        SupervisedProcess(
          name: member.processName, executable: executables.catalogue,
          port: member.isFirst ? ports.catalogue : 0, logger: logger
        ) { port in
          common + client(started) + member.demoTownArguments + [
            "--port", "\(port)", "--data-dir", data.appendingPathComponent(member.directory).path,
            "--demo-datasets", "\(demoDatasets)", "--demo-time", "\(demoTime)",
          ]
        }
      }
    }
    for member in layout.members(of: "analytics") {
      stages.append { started in
        SupervisedProcess(
          name: member.processName, executable: executables.analytics,
          port: member.isFirst ? ports.analytics : 0, logger: logger
        ) { port in
          common + client(started) + member.demoTownArguments + [
            "--port", "\(port)", "--data-dir", data.appendingPathComponent(member.directory).path,
            "--demo-sensors", "--demo-time", "\(demoTime)", "--demo-feed",
          ]
        }
      }
    }
    stages.append { started in
      SupervisedProcess(
        name: "ordp-gateway", executable: executables.gateway, port: ports.gateway,
        logger: logger
      ) { port in
        // The topology names every partition's replicas where they listen now.
        let json = layout.topologyJSON(host: host, identity: started["ordp-identity"] ?? 0) {
          started[$0] ?? 0
        }
        try? FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try? json.write(to: topologyFile, atomically: true, encoding: .utf8)
        return common + client(started) + backendArguments + [
          "--port", "\(port)", "--topology", topologyFile.path,
        ]
      }
    }
    return PlatformProcesses(stages: stages, logger: logger)
  }

  /// The server options of every process: this one's (the echo demo) and the services'.
  var serverArguments: [String] {
    var arguments = [
      "--host", host, "--handshake-timeout", "\(handshakeTimeout)", "--idle-timeout",
      "\(idleTimeout)",
    ]
    if !accessLog { arguments.append("--no-access-log") }
    if plaintext { return arguments + ["--plaintext"] }
    arguments += [
      "--tls-cert", pki("server.pem"), "--tls-key", pki("server-key.pem"), "--client-ca",
      pki("ca.pem"),
    ]
    if requireClientCert { arguments += ["--require-client-cert"] }
    return arguments
  }

  private func pki(_ file: String) -> String {
    DevelopmentPKIDirectory(url: URL(fileURLWithPath: pkiDir)).path(file)
  }
}
