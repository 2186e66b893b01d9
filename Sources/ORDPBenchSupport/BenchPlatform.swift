public import Foundation
import Logging
import NIOSSL
public import ORDPIdentity
import ORDPIdentityAPI
import ORDPPKI
public import ORDPRPC
public import ORDPServiceKit

/// What a service benchmark runs against: identity (fast scrypt) and the services under test
/// in this process, assembled as their executables assemble them, behind one TLS server on
/// loopback with a throw-away CA; a client channel, and the platform admin's access token.
public struct BenchPlatform: Sendable {
  /// What identity was started with.
  public let identityOptions: IdentityRuntime.Options
  public let running: RunningService
  public let channel: RPCChannel
  /// Call options with the admin's token and a long deadline.
  public let admin: CallOptions

  /// The platform admin's password.
  public static let password = "Benchmark-Root-Passphrase"

  /// - Parameters:
  ///   - configure: changes identity's options (defaults: fast scrypt, 2^12).
  ///   - services: assembles the services under test, given identity in this process.
  public static func start(
    directory: URL, _ services: (IdentityLink) async throws -> [ServiceAssembly] = { _ in [] },
    configure: (inout IdentityRuntime.Options) -> Void = { _ in }
  ) async throws -> BenchPlatform {
    let quiet = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
    var options = IdentityRuntime.Options(dataDirectory: directory.appendingPathComponent("id"))
    options.initialAdminPassword = password
    options.configuration.scrypt = ScryptParameters(logN: 12)
    configure(&options)
    let (identity, runtime) = try await IdentityAssembly.assemble(options, logger: quiet)
    let assembly = ServiceAssembly.together(
      [identity] + (try await services(.local(runtime))), name: "bench")
    let ca = try DevelopmentCA()
    let cert = try ca.issue(
      commonName: "bench", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
    let running = try await ServiceHost.start(
      assembly,
      configuration: ServerConfiguration(
        security: .tls(
          certificateChain: [
            try NIOSSLCertificate(bytes: Array(cert.certificatePEM.utf8), format: .pem)
          ],
          privateKey: try NIOSSLPrivateKey(bytes: Array(cert.privateKeyPEM.utf8), format: .pem))),
      logger: quiet)
    let channel = RPCChannel(
      host: "127.0.0.1", port: running.port,
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
      identityOptions: options, running: running, channel: channel,
      admin: CallOptions(
        timeout: .seconds(3600), metadata: Metadata(["authorization": "Bearer \(token)"])))
  }

  public func shutdown() async throws {
    channel.close()
    try await running.stop()
  }
}
