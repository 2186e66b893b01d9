import ArgumentParser
import ORDPRPC
import ORDPServiceKit

/// Where and how a command connects.
struct ConnectionOptions: ParsableArguments {
  @Option(help: "Server host.") var host = "127.0.0.1"
  @Option(help: "Server port.") var port = 7443
  @Option(help: "PEM file with the CA that signed the server's certificate.")
  var ca = ".ordp/dev/pki/ca.pem"
  @Option(help: "Client certificate (PEM) for mutual TLS.") var cert: String?
  @Option(help: "Client key (PEM) for mutual TLS.") var key: String?
  @Option(help: "Name to check the server's certificate against (default: host).")
  var serverName: String?
  @Flag(help: "Connect without TLS (only to a server started with --plaintext).")
  var plaintext = false
  @Option(help: "Deadline of the call in seconds.") var timeout: Double = 10

  func channel() throws -> RPCChannel {
    let security = try ClientTLSFiles(
      plaintext: plaintext, ca: ca, serverName: serverName ?? host, clientCert: cert,
      clientKey: key, prefix: ""
    ).security()
    return RPCChannel(
      configuration: .init(targets: [.init(host: host, port: port)], security: security))
  }

  var callOptions: CallOptions { CallOptions(timeout: .milliseconds(Int64(timeout * 1000))) }
}
