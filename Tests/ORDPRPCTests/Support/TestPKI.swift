import Foundation
import NIOSSL
import ORDPPKI
import ORDPRPC

/// One development CA for the whole test run, with a server identity and two clients.
enum TestPKI {
  struct Material: Sendable {
    let directory: URL
    let caPEM: String
    let server: DevelopmentCA.Identity
    let client: DevelopmentCA.Identity
    let otherCAClient: DevelopmentCA.Identity
    let otherCAPEM: String

    var caFile: String { directory.appendingPathComponent("ca.pem").path }
    var clientCertFile: String { directory.appendingPathComponent("client.pem").path }
    var clientKeyFile: String { directory.appendingPathComponent("client-key.pem").path }
  }

  static let shared: Material = {
    let ca = try! DevelopmentCA()
    let other = try! DevelopmentCA(commonName: "Some Other CA")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ordp-test-pki-\(getpid())")
    try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let m = Material(
      directory: dir, caPEM: try! ca.certificatePEM,
      server: try! ca.issue(
        commonName: "server", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"],
        uris: ["spiffe://ordp/service/test"]),
      client: try! ca.issue(commonName: "client", uris: ["spiffe://ordp/service/catalogue"]),
      otherCAClient: try! other.issue(
        commonName: "intruder", uris: ["spiffe://ordp/service/intruder"]),
      otherCAPEM: try! other.certificatePEM)
    try! m.caPEM.write(to: dir.appendingPathComponent("ca.pem"), atomically: true, encoding: .utf8)
    try! m.client.certificatePEM.write(
      to: dir.appendingPathComponent("client.pem"), atomically: true, encoding: .utf8)
    try! m.client.privateKeyPEM.write(
      to: dir.appendingPathComponent("client-key.pem"), atomically: true, encoding: .utf8)
    return m
  }()

  static func cert(_ pem: String) -> NIOSSLCertificate {
    try! NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem)
  }
  static func key(_ pem: String) -> NIOSSLPrivateKey {
    try! NIOSSLPrivateKey(bytes: Array(pem.utf8), format: .pem)
  }

  static func serverSecurity(
    clientCertificates: ClientCertificateRequirement = .none
  ) -> ServerSecurity {
    let m = shared
    let roots = [cert(m.caPEM)]
    let mode: ServerSecurity.ClientCertificates
    switch clientCertificates {
    case .none: mode = .none
    case .optional: mode = .optional(trustRoots: roots)
    case .required: mode = .required(trustRoots: roots)
    }
    return .tls(
      certificateChain: [cert(m.server.certificatePEM)], privateKey: key(m.server.privateKeyPEM),
      clientCertificates: mode)
  }

  enum ClientCertificateRequirement { case none, optional, required }

  static func clientSecurity(
    identity: DevelopmentCA.Identity? = nil, hostname: String? = "localhost"
  ) -> ClientSecurity {
    let m = shared
    return .tls(
      trustRoots: [cert(m.caPEM)], serverHostname: hostname,
      clientCertificateChain: identity.map { [cert($0.certificatePEM)] } ?? [],
      clientPrivateKey: identity.map { key($0.privateKeyPEM) })
  }
}
