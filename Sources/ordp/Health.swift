import ArgumentParser
import ORDPRPC

/// `ordp health`: grpc.health.v1 Check against a server.
struct Health: AsyncParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Check a server's health.")

  @OptionGroup var connection: ConnectionOptions
  @Option(help: "Service to check; empty for the server as a whole.") var service = ""

  func run() async throws {
    let channel = try connection.channel()
    defer { channel.close() }
    var request = Grpc_Health_V1_HealthCheckRequest()
    request.service = service
    do {
      let response = try await Grpc_Health_V1_Health_Client(channel: channel)
        .check(request, options: connection.callOptions)
      print("\(service.isEmpty ? "(server)" : service): \(response.status)")
      if response.status != .serving { throw ExitCode(1) }
    } catch let error as RPCError {
      throw failed(error)
    }
  }
}
