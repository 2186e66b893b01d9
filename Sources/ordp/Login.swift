import ArgumentParser
import Foundation
import ORDPIdentityAPI
import ORDPRPC

/// `ordp login`: logs in at identity and prints the tokens.
struct Login: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Log in at identity; prints the access token (and who it is for).")

  @OptionGroup var connection: ConnectionOptions
  @Option(help: "Username, e.g. soest.editor.") var username: String
  @Option(help: "File with the password (default: read a line from standard input).")
  var passwordFile: String?
  @Flag(help: "Print only the access token.") var tokenOnly = false

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
      if tokenOnly {
        print(response.accessToken)
      } else {
        print("subject: \(response.subject)")
        print("scopes: \(response.scopes.joined(separator: " "))")
        print("expires in: \(response.expiresInSeconds) s")
        print("access token: \(response.accessToken)")
        print("refresh token: \(response.refreshToken)")
      }
    } catch let error as RPCError {
      print("error: \(error)")
      throw ExitCode(1)
    }
  }
}

/// `ordp towns`: the organisations identity knows.
struct Towns: AsyncParsableCommand {
  static let configuration = CommandConfiguration(abstract: "List the towns (organisations).")

  @OptionGroup var connection: ConnectionOptions
  @Flag(help: "Also list deactivated towns.") var all = false

  func run() async throws {
    let channel = try connection.channel()
    defer { channel.close() }
    var request = Ordp_Identity_V1_ListOrganisationsRequest()
    request.includeInactive = all
    do {
      let towns = try await Ordp_Identity_V1_Identity_Client(channel: channel)
        .listOrganisations(request, options: connection.callOptions).organisations
      for town in towns {
        let kind = town.kind == .pioneer ? "pioneer" : "joining"
        print("\(town.id)\t\(town.displayName)\t\(kind)\(town.active ? "" : "\t(deactivated)")")
      }
    } catch let error as RPCError {
      print("error: \(error)")
      throw ExitCode(1)
    }
  }
}
