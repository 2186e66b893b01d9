public import Foundation
import Logging
import NIOSSL
import ORDPAuth
public import ORDPIdentity
import ORDPIdentityAPI
import ORDPPKI
public import ORDPRPC

/// What a service benchmark runs against: identity (fast scrypt) and the service under test in
/// this process, one TLS server on loopback with a throw-away CA, a client channel, and the
/// platform admin's access token.
public struct BenchPlatform: Sendable {
  public let identity: IdentityRuntime
  /// What identity was started with.
  public let identityOptions: IdentityRuntime.Options
  public let server: ORDPServer
  public let channel: RPCChannel
  /// Call options with the admin's token and a long deadline.
  public let admin: CallOptions
  let serverTask: Task<Void, any Error>

  /// The platform admin's password.
  public static let password = "Benchmark-Root-Passphrase"

  /// - Parameter configure: changes identity's options (defaults: fast scrypt, 2^12).
  public static func start(
    directory: URL, services: [any RPCService] = [], anonymousMethods: Set<String> = [],
    handlerExecution: ServerConfiguration.HandlerExecution = .eventLoop,
    configure: (inout IdentityRuntime.Options) -> Void = { _ in }
  ) async throws -> BenchPlatform {
    let quiet = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
    var options = IdentityRuntime.Options(dataDirectory: directory.appendingPathComponent("id"))
    options.initialAdminPassword = password
    options.configuration.scrypt = ScryptParameters(logN: 12)
    configure(&options)
    let identity = try await IdentityRuntime.start(options: options, logger: quiet)
    let ca = try DevelopmentCA()
    let cert = try ca.issue(
      commonName: "bench", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
    let server = ORDPServer(
      configuration: ServerConfiguration(
        security: .tls(
          certificateChain: [
            try NIOSSLCertificate(bytes: Array(cert.certificatePEM.utf8), format: .pem)
          ],
          privateKey: try NIOSSLPrivateKey(bytes: Array(cert.privateKeyPEM.utf8), format: .pem)),
        handlerExecution: handlerExecution),
      services: [identity.service] + services,
      interceptors: [
        BearerTokenInterceptor(
          verifier: identity.verifier,
          anonymousMethods: anonymousMethods.union(IdentityService.anonymousMethods))
      ], logger: quiet)
    // Identity's housekeeping runs beside the server, as in its executable: its verifier's
    // revocations stay current (stale ones would fail every token check after two minutes).
    let maintenance = identity.maintenance
    let serverTask = Task {
      try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        group.addTask { try await maintenance.run() }
        try await group.waitForAll()
      }
    }
    let port = try await server.localAddress.port!
    let channel = RPCChannel(
      host: "127.0.0.1", port: port,
      security: .tls(
        trustRoots: [try NIOSSLCertificate(bytes: Array(try ca.certificatePEM.utf8), format: .pem)],
        serverHostname: "localhost"))
    let token = try await Ordp_Identity_V1_Identity_Client(channel: channel).login(
      .with {
        $0.username = "admin"
        $0.password = password
      }
    ).accessToken
    return BenchPlatform(
      identity: identity, identityOptions: options, server: server, channel: channel,
      admin: CallOptions(
        timeout: .seconds(3600), metadata: Metadata(["authorization": "Bearer \(token)"])),
      serverTask: serverTask)
  }

  public func shutdown() async throws {
    channel.close()
    serverTask.cancel()
    try await identity.shutdown()
  }
}
