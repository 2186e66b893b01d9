import ArgumentParser
import ORDPEcho
import ORDPRPC

/// `ordp echo`: a unary call of the demo echo service.
struct Echo: AsyncParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Call the demo echo service.")

  @OptionGroup var connection: ConnectionOptions
  @Argument(help: "Text to echo.") var text: String

  func run() async throws {
    let channel = try connection.channel()
    defer { channel.close() }
    var request = Ordp_Echo_V1_EchoRequest()
    request.text = text
    do {
      let r = try await Ordp_Echo_V1_Echo_Client(channel: channel).get(
        request, options: connection.callOptions)
      print(r.text + (r.peerIdentity.isEmpty ? "" : "  (you are \(r.peerIdentity))"))
    } catch let error as RPCError {
      throw failed(error)
    }
  }
}
