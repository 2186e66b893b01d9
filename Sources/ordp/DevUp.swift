import ArgumentParser
import Foundation
import Logging
import NIOSSL
import ORDPAnalytics
import ORDPAnalyticsAPI
import ORDPAuth
import ORDPCatalogue
import ORDPCatalogueAPI
import ORDPEcho
import ORDPIdentity
import ORDPPKI
import ORDPRPC
import ServiceLifecycle

/// `ordp dev up`: runs the platform locally on loopback with a development PKI.
///
/// Runs, in this one process, each service on its own port with embedded storage under
/// `--data-dir`: the identity service (towns seeded, demo users), the runtime's demo server
/// (health and echo), the catalogue (demo datasets on first start) and analytics (demo sensors
/// with two weeks of data on first start). The gateway joins when it is built.
struct DevUp: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "up", abstract: "Run ORDP locally (TLS on loopback, development certificates).")

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

  func run() async throws {
    LoggingSystem.bootstrap { label in
      var handler = StreamLogHandler.standardError(label: label)
      handler.logLevel = .info
      return handler
    }
    let logger = Logger(label: "ordp.dev")
    let security: ServerSecurity
    if plaintext {
      security = .plaintext
    } else {
      let pki = DevelopmentPKIDirectory(url: URL(fileURLWithPath: pkiDir))
      try DevelopmentIdentities.ensure(pki)
      let ca = try NIOSSLCertificate.fromPEMFile(pki.path("ca.pem"))
      security = .tls(
        certificateChain: try NIOSSLCertificate.fromPEMFile(pki.path("server.pem")),
        privateKey: try NIOSSLPrivateKey(file: pki.path("server-key.pem"), format: .pem),
        clientCertificates: requireClientCert
          ? .required(trustRoots: ca) : .optional(trustRoots: ca))
    }
    let configuration = ServerConfiguration(
      host: host, port: port, security: security,
      handshakeTimeout: .milliseconds(Int64(handshakeTimeout * 1000)),
      idleTimeout: .milliseconds(Int64(idleTimeout * 1000)))
    let server = ORDPServer(configuration: configuration, services: [EchoService()], logger: logger)
    server.health.setStatus(.serving, forService: Ordp_Echo_V1_Echo.serviceName)

    let identity = try await startIdentity(logger: logger)
    var identityConfiguration = configuration
    identityConfiguration.port = identityPort
    let identityServer = ORDPServer(
      configuration: identityConfiguration, services: [identity.service],
      interceptors: [identity.interceptor], logger: logger)
    identityServer.health.setStatus(.serving, forService: "ordp.identity.v1.Identity")

    // The catalogue verifies tokens with identity's verifier (same process).
    let catalogueStore = try SQLiteCatalogueStore(
      directory: URL(fileURLWithPath: dataDir).appendingPathComponent("catalogue"))
    let demo = try await SyntheticCatalogue.seedDemo(
      into: catalogueStore, count: 120, at: Int64(Date().timeIntervalSince1970 * 1_000_000))
    if demo > 0 { logger.info("created \(demo) demo datasets") }
    let catalogue = CatalogueService(
      store: catalogueStore, logger: logger, baseIRI: "https://data.ordp.local/",
      publisherNames: { [store = identity.store] in
        let organisations = (try? await store.organisations(includeInactive: true)) ?? []
        return Dictionary(
          organisations.map { ($0.id, $0.displayName) }, uniquingKeysWith: { a, _ in a })
      })
    try await catalogue.warmUp()
    var catalogueConfiguration = configuration
    catalogueConfiguration.handlerExecution = CatalogueService.handlerExecution
    let catalogueServer = serviceServer(
      catalogueConfiguration, port: cataloguePort, service: catalogue, verifier: identity.verifier,
      anonymousMethods: CatalogueService.anonymousMethods, logger: logger)
    catalogueServer.health.setStatus(.serving, forService: Ordp_Catalogue_V1_Catalogue.serviceName)

    let (analyticsServer, sweeper) = try await startAnalytics(
      configuration, verifier: identity.verifier, logger: logger)

    let group = ServiceGroup(
      configuration: .init(
        services: [
          .init(service: server), .init(service: identityServer),
          .init(service: catalogueServer), .init(service: analyticsServer),
          .init(service: sweeper), .init(service: identity.maintenance),
        ], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
      tasks.addTask { try await group.run() }
      let address = try await server.localAddress
      let identityAddress = try await identityServer.localAddress
      let catalogueAddress = try await catalogueServer.localAddress
      let analyticsAddress = try await analyticsServer.localAddress
      // Lines on stdout for scripts and tests: where the platform listens. The first is the
      // front door (today the echo demo; the gateway later).
      let security = plaintext ? "plaintext" : "TLS, CA \(pkiDir)/ca.pem"
      let lines = """
        ordp dev up: listening on \(host):\(address.port ?? port) (\(security))
        ordp dev up: identity on \(host):\(identityAddress.port ?? identityPort)
        ordp dev up: catalogue on \(host):\(catalogueAddress.port ?? cataloguePort)
        ordp dev up: analytics on \(host):\(analyticsAddress.port ?? analyticsPort)
        ordp dev up: platform admin "admin", password in \(dataDir)/identity/initial-admin-password
        ordp dev up: demo users <town>.admin, <town>.editor, <town>.viewer (e.g. soest.editor), password in \(dataDir)/demo-password

        """
      FileHandle.standardOutput.write(Data(lines.utf8))
      try await tasks.waitForAll()
    }
    try await identity.shutdown()
  }

  /// Identity with its data under `--data-dir`, towns seeded, demo users created.
  func startIdentity(logger: Logger) async throws -> IdentityRuntime {
    let data = URL(fileURLWithPath: dataDir)
    var options = IdentityRuntime.Options(dataDirectory: data.appendingPathComponent("identity"))
    options.configuration.scrypt = ScryptParameters(logN: scryptLogN)
    let identity = try await IdentityRuntime.start(options: options, logger: logger)
    let passwordFile = data.appendingPathComponent("demo-password")
    let password: String
    if let existing = try? String(contentsOf: passwordFile, encoding: .utf8) {
      password = existing.trimmingCharacters(in: .whitespacesAndNewlines)
    } else {
      password = "Demo-" + UUID().uuidString.prefix(18)
      try SecretFile.write(password + "\n", to: passwordFile)
    }
    let created = try await identity.seedDemoUsers(password: password)
    if !created.isEmpty { logger.info("created \(created.count) demo users") }
    return identity
  }

  /// Analytics with its data under `--data-dir`, demo sensors on first start.
  func startAnalytics(
    _ configuration: ServerConfiguration, verifier: AccessTokenVerifier, logger: Logger
  ) async throws -> (ORDPServer, RetentionSweeperService) {
    let store = try SQLiteAnalyticsStore(
      directory: URL(fileURLWithPath: dataDir).appendingPathComponent("analytics"))
    let seeded = try await DemoSensors.seed(
      into: store, now: Int64(Date().timeIntervalSince1970 * 1_000_000))
    if seeded > 0 { logger.info("created \(seeded) demo datastreams with two weeks of data") }
    let analytics = AnalyticsService(store: store, logger: logger)
    try await analytics.start()
    var analyticsConfiguration = configuration
    analyticsConfiguration.handlerExecution = AnalyticsService.handlerExecution
    let server = serviceServer(
      analyticsConfiguration, port: analyticsPort, service: analytics, verifier: verifier,
      anonymousMethods: AnalyticsService.anonymousMethods, logger: logger)
    server.health.setStatus(.serving, forService: Ordp_Analytics_V1_Analytics.serviceName)
    return (
      server, RetentionSweeperService(sweeper: RetentionSweeper(service: analytics, logger: logger))
    )
  }

  /// A service's server on its own port, checking access tokens with identity's verifier.
  func serviceServer(
    _ configuration: ServerConfiguration, port: Int, service: any RPCService,
    verifier: AccessTokenVerifier, anonymousMethods: Set<String>, logger: Logger
  ) -> ORDPServer {
    var configuration = configuration
    configuration.port = port
    return ORDPServer(
      configuration: configuration, services: [service],
      interceptors: [
        BearerTokenInterceptor(verifier: verifier, anonymousMethods: anonymousMethods)
      ],
      logger: logger)
  }
}

/// Runs analytics' retention sweeps every five minutes while the platform runs.
struct RetentionSweeperService: Service {
  let sweeper: RetentionSweeper
  func run() async throws {
    await cancelWhenGracefulShutdown { await sweeper.run(every: .seconds(300)) }
  }
}
