import NIOSSL
import ORDPPKI
import ORDPRPC

/// Certificates for the benchmark's TLS rows.
struct BenchPKI {
  let ca: NIOSSLCertificate
  let serverChain: [NIOSSLCertificate]
  let serverKey: NIOSSLPrivateKey

  init() throws {
    let ca = try DevelopmentCA()
    let server = try ca.issue(
      commonName: "bench", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
    self.ca = try NIOSSLCertificate(bytes: Array(try ca.certificatePEM.utf8), format: .pem)
    self.serverChain = [
      try NIOSSLCertificate(bytes: Array(server.certificatePEM.utf8), format: .pem)
    ]
    self.serverKey = try NIOSSLPrivateKey(bytes: Array(server.privateKeyPEM.utf8), format: .pem)
  }

  var serverSecurity: ServerSecurity { .tls(certificateChain: serverChain, privateKey: serverKey) }
  var clientSecurity: ClientSecurity { .tls(trustRoots: [ca], serverHostname: "localhost") }

  var serverTLS: TLSConfiguration {
    var c = TLSConfiguration.makeServerConfiguration(
      certificateChain: serverChain.map { .certificate($0) }, privateKey: .privateKey(serverKey))
    c.minimumTLSVersion = .tlsv12
    return c
  }

  var clientTLS: TLSConfiguration {
    var c = TLSConfiguration.makeClientConfiguration()
    c.trustRoots = .certificates([ca])
    return c
  }
}
