import ArgumentParser
import Foundation
import ORDPIdentityAPI
import ORDPRPC

/// `ordp login`: logs in at identity (through the gateway) and keeps the session for the
/// commands that follow.
struct Login: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Log in; later commands send the session's token and refresh it.",
    discussion: """
      The session (access and refresh token for this gateway) is written to the session file, \
      readable by you only; `ordp logout` ends it. The password is read from --password-file \
      or a line of standard input (never from the command line).
      """)

  @OptionGroup var connection: ConnectionOptions
  @Option(help: "Username, e.g. soest.editor.") var username: String
  @Option(help: "File with the password (default: read a line from standard input).")
  var passwordFile: String?
  @Flag(help: "Print the access token (for scripts) instead of who is logged in.")
  var printToken = false

  func run() async throws {
    let password: String
    if let passwordFile {
      password = try String(contentsOfFile: passwordFile, encoding: .utf8)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    } else {
      password = readLine(strippingNewline: true) ?? ""
    }
    let channel = try connection.channel()
    defer { channel.close() }
    var request = Ordp_Identity_V1_LoginRequest()
    request.username = username
    request.password = password
    do {
      let response = try await Ordp_Identity_V1_Identity_Client(channel: channel)
        .login(request, options: connection.callOptions)
      let session = Session(server: connection.server, response)
      let file = Session.path(connection.sessionFile)
      try session.save(file)
      if printToken {
        print(response.accessToken)
      } else {
        print("logged in as \(response.subject) at \(connection.server) (session in \(file.path))")
        print("scopes: \(response.scopes.joined(separator: " "))")
      }
    } catch let error as RPCError {
      throw failed(error)
    }
  }
}

/// `ordp logout`: ends the session at identity and removes it.
struct Logout: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "End the session (its tokens are revoked) and remove the session file.")

  @OptionGroup var connection: ConnectionOptions

  func run() async throws {
    let file = Session.path(connection.sessionFile)
    guard let session = try? Session.load(file) else {
      print("not logged in")
      return
    }
    if session.server == connection.server,
      session.refreshExpires > Date().timeIntervalSince1970
    {
      let channel = try connection.channel()
      defer { channel.close() }
      do {
        _ = try await Ordp_Identity_V1_Identity_Client(channel: channel).logout(
          .with { $0.refreshToken = session.refreshToken }, options: connection.callOptions)
      } catch let error as RPCError where error.code == .unauthenticated {
        // Ended already (expired or revoked): nothing left to revoke.
      } catch let error as RPCError {
        throw failed(error)
      }
    }
    try FileManager.default.removeItem(at: file)
    print("logged out \(session.subject)")
  }
}

/// `ordp whoami`: who the session is for.
struct WhoAmI: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "whoami", abstract: "Show who is logged in, with which scopes, until when.")

  @OptionGroup var connection: ConnectionOptions

  func run() async throws {
    let file = Session.path(connection.sessionFile)
    guard try Session.load(file)?.server == connection.server else {
      print("not logged in at \(connection.server)")
      throw ExitCode(1)
    }
    let channel = try connection.channel()
    defer { channel.close() }
    do {
      // Refreshed if it is about to expire, so what is printed is what commands send.
      _ = try await connection.authorizedOptions(channel)
    } catch let error as RPCError {
      throw failed(error)
    }
    guard let session = try Session.load(file) else { throw ExitCode(1) }
    let formatter = ISO8601DateFormatter()
    print("\(session.subject) at \(session.server)")
    print("scopes: \(session.scopes.joined(separator: " "))")
    print(
      "access token valid until \(formatter.string(from: Date(timeIntervalSince1970: session.accessExpires)))"
    )
    print(
      "session valid until \(formatter.string(from: Date(timeIntervalSince1970: session.refreshExpires)))"
    )
  }
}
