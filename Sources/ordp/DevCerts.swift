import ArgumentParser
import Foundation
import ORDPPKI

/// `ordp dev certs`: the throw-away development PKI.
struct DevCerts: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "certs", abstract: "Create a development CA with server and client certificates.")

  @Option(help: "Directory for the PEM files.") var dir = ".ordp/dev/pki"

  func run() async throws {
    let pki = DevelopmentPKIDirectory(url: URL(fileURLWithPath: dir))
    try DevelopmentIdentities.ensure(pki)
    print("development PKI in \(dir): ca.pem, server.pem, client.pem (+ -key.pem)")
  }
}

/// The identities `ordp dev` needs.
enum DevelopmentIdentities {
  static func ensure(_ pki: DevelopmentPKIDirectory) throws {
    try pki.ensure(identities: [
      (
        name: "server", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1", "::1"],
        uris: ["spiffe://ordp/service/dev"]
      ),
      (name: "client", dnsNames: [], ipAddresses: [], uris: ["spiffe://ordp/client/dev"]),
    ])
  }
}
