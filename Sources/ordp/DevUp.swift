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
/// Starts identity, the catalogue and analytics as their own processes — the executables
/// operators run, next to this one — with embedded storage under `--data-dir` and demo data
/// (towns and demo users, demo datasets, demo sensors with two weeks of data), and supervises
/// them: one that exits is logged and restarted with back-off while the others keep serving.
/// This process serves the runtime's demo (health and echo) as the front door until the
/// gateway takes that place. SIGTERM or SIGINT stops the services, then this process.
struct DevUp: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "up",
    abstract: "Run ORDP locally: every service its own process, TLS on loopback, demo data.")

  @Option(help: "Address to listen on.") var host = "127.0.0.1"
  @Option(help: "Port of the echo demo server (0: any free port).") var port = 7443
  @Option(help: "Port of the identity service (0: any free port).") var identityPort = 7444
  @Option(help: "Port of the catalogue service (0: any free port).") var cataloguePort = 7445
  @Option(help: "Port of the analytics service (0: any free port).") var analyticsPort = 7446
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
  @Option(help: "Demo datasets to create in an empty catalogue.") var demoDatasets = 120

  func validate() throws {
    for (flag, value) in [
      ("--port", port), ("--identity-port", identityPort), ("--catalogue-port", cataloguePort),
      ("--analytics-port", analyticsPort),
    ] where !(0...65_535).contains(value) {
      throw ValidationError("\(flag) must be in 0...65535")
    }
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
      configuration: try server.configuration(defaultPort: port), services: [EchoService()],
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
      // front door (today the echo demo; the gateway later).
      let security = plaintext ? "plaintext" : "TLS, CA \(pkiDir)/ca.pem"
      let serviceLines = ports.map {
        "ordp dev up: \($0.name.dropFirst(5)) on \(host):\($0.port)\n"
      }
      let lines = """
        ordp dev up: listening on \(host):\(address.port ?? port) (\(security))
        \(serviceLines.joined())ordp dev up: platform admin "admin", password in \(dataDir)/identity/initial-admin-password
        ordp dev up: demo users <town>.admin, <town>.editor, <town>.viewer (e.g. soest.editor), password in \(dataDir)/demo-password

        """
      FileHandle.standardOutput.write(Data(lines.utf8))
      try await tasks.waitForAll()
    }
  }

  /// The three services as supervised processes, with the arguments that wire them up.
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
    let identityProcess = SupervisedProcess(
      name: "ordp-identity", executable: try executable("ordp-identity"), port: identityPort,
      logger: logger
    ) { [common, scryptLogN] port in
      common + [
        "--port", "\(port)", "--data-dir", data.appendingPathComponent("identity").path,
        "--scrypt-log-n", "\(scryptLogN)",
        "--demo-users-password-file", data.appendingPathComponent("demo-password").path,
      ]
    }
    // How the catalogue and analytics reach identity.
    var identityClient = ["--identity-host", host]
    if plaintext {
      identityClient += ["--identity-plaintext"]
    } else {
      identityClient += ["--identity-ca", pki("ca.pem"), "--identity-server-name", "localhost"]
      if requireClientCert {
        identityClient += [
          "--identity-client-cert", pki("client.pem"), "--identity-client-key",
          pki("client-key.pem"),
        ]
      }
    }
    let catalogueExecutable = try executable("ordp-catalogue")
    let analyticsExecutable = try executable("ordp-analytics")
    return PlatformProcesses(identity: identityProcess, logger: logger) {
      [common, identityClient, demoDatasets, cataloguePort, analyticsPort] identityPort in
      let client = identityClient + ["--identity-port", "\(identityPort)"]
      let catalogue = SupervisedProcess(
        name: "ordp-catalogue", executable: catalogueExecutable, port: cataloguePort,
        logger: logger
      ) { port in
        common + client + [
          "--port", "\(port)", "--data-dir", data.appendingPathComponent("catalogue").path,
          "--demo-datasets", "\(demoDatasets)",
        ]
      }
      let analytics = SupervisedProcess(
        name: "ordp-analytics", executable: analyticsExecutable, port: analyticsPort,
        logger: logger
      ) { port in
        common + client + [
          "--port", "\(port)", "--data-dir", data.appendingPathComponent("analytics").path,
          "--demo-sensors",
        ]
      }
      return [catalogue, analytics]
    }
  }

  /// The server options of every process: this one's (the echo demo) and the services'.
  var serverArguments: [String] {
    var arguments = [
      "--host", host, "--handshake-timeout", "\(handshakeTimeout)", "--idle-timeout",
      "\(idleTimeout)",
    ]
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
