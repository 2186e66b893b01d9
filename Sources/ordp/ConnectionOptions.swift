import ArgumentParser
import Foundation
import ORDPIdentityAPI
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
  @Option(
    help:
      "File with an access token to send instead of the session's (e.g. a service account's, from an API key)."
  )
  var tokenFile: String?
  @Option(
    help:
      "The session file `ordp login` writes (default: $ORDP_SESSION_FILE, else ~/.config/ordp/session.json)."
  )
  var sessionFile: String?

  /// The server the session is for.
  var server: String { "\(host):\(port)" }

  func channel() throws -> RPCChannel {
    let security = try ClientTLSFiles(
      plaintext: plaintext, ca: ca, serverName: serverName ?? host, clientCert: cert,
      clientKey: key, prefix: ""
    ).security()
    return RPCChannel(
      configuration: .init(targets: [.init(host: host, port: port)], security: security))
  }

  var callOptions: CallOptions { CallOptions(timeout: .milliseconds(Int64(timeout * 1000))) }

  /// Call options with the caller's token: `--token-file`'s, else the session's for this
  /// server (refreshed first when it is about to expire), else none (an anonymous call).
  func authorizedOptions(_ channel: RPCChannel) async throws -> CallOptions {
    var options = callOptions
    if let tokenFile {
      let token = try String(contentsOfFile: tokenFile, encoding: .utf8)
        .trimmingCharacters(in: .whitespacesAndNewlines)
      options.metadata = Metadata(["authorization": "Bearer \(token)"])
      return options
    }
    let file = Session.path(sessionFile)
    guard var session = try Session.load(file), session.server == server else { return options }
    if session.needsRefresh() {
      guard session.refreshExpires > Date().timeIntervalSince1970 + 5 else {
        throw CLIError("the session of \(session.subject) has expired: log in again (ordp login)")
      }
      do {
        let response = try await Ordp_Identity_V1_Identity_Client(channel: channel).refresh(
          .with { $0.refreshToken = session.refreshToken }, options: callOptions)
        session = Session(server: server, response)
        try session.save(file)
      } catch let error as RPCError where error.code == .unauthenticated {
        throw CLIError(
          "the session of \(session.subject) has ended (\(error.message)): log in again (ordp login)"
        )
      }
    }
    options.metadata = Metadata(["authorization": "Bearer \(session.accessToken)"])
    return options
  }
}

/// Runs `body` with a channel to the gateway and the caller's call options (the session's
/// token; no deadline when `timeout` is false, for streams); a failed call is reported
/// (`failed`) and the channel closed.
func calling<T>(
  _ connection: ConnectionOptions, timeout: Bool = true,
  _ body: (RPCChannel, CallOptions) async throws -> T
) async throws -> T {
  let channel = try connection.channel()
  defer { channel.close() }
  do {
    var options = try await connection.authorizedOptions(channel)
    if !timeout { options.timeout = nil }
    return try await body(channel, options)
  } catch let error as RPCError {
    throw failed(error)
  }
}
