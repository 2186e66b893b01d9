import ArgumentParser
import Foundation
import Logging
import NIOSSL
import ORDPEcho
import ORDPPKI
import ORDPRPC
import ServiceLifecycle

/// `ordp dev up`: runs the platform locally on loopback with a development PKI.
///
/// For now that is the RPC runtime's demo server (health and echo); the identity, catalogue,
/// analytics and gateway services join it as they are built.
struct DevUp: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "up", abstract: "Run ORDP locally (TLS on loopback, development certificates).")

  @Option(help: "Address to listen on.") var host = "127.0.0.1"
  @Option(help: "Port to listen on (0: any free port).") var port = 7443
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
    let group = ServiceGroup(
      configuration: .init(
        services: [.init(service: server)], gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
      tasks.addTask { try await group.run() }
      let address = try await server.localAddress
      // One line on stdout for scripts and tests: where the platform listens.
      let line =
        "ordp dev up: listening on \(host):\(address.port ?? port) (\(plaintext ? "plaintext" : "TLS, CA \(pkiDir)/ca.pem"))\n"
      FileHandle.standardOutput.write(Data(line.utf8))
      try await tasks.waitForAll()
    }
  }
}
