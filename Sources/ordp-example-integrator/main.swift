// An integrator's program on the generated Swift stubs (a sensor gateway of a town): exchange
// the town's API key for a token, push observations, read them back — through the gateway,
// over TLS. Run against `ordp dev up` (see the README):
//
//   ordp-example-integrator --api-key-file key.txt --stream demo-soest-water-level
import Foundation
import NIOSSL
import ORDPAnalyticsAPI
import ORDPIdentityAPI
import ORDPRPC

func argument(_ name: String, default value: String? = nil) -> String {
  let arguments = CommandLine.arguments
  if let index = arguments.firstIndex(of: "--\(name)"), index + 1 < arguments.count {
    return arguments[index + 1]
  }
  guard let value else {
    FileHandle.standardError.write(Data("missing --\(name)\n".utf8))
    exit(1)
  }
  return value
}

let ca = try NIOSSLCertificate.fromPEMFile(argument("ca", default: ".ordp/dev/pki/ca.pem"))
let channel = RPCChannel(
  host: argument("host", default: "127.0.0.1"),
  port: Int(argument("port", default: "7443")) ?? 7443,
  security: .tls(trustRoots: ca, serverHostname: argument("server-name", default: "localhost")))
defer { channel.close() }
let stream = argument("stream")

do {
  // 1. The API key (made with `ordp admin api-keys create`) becomes a short-lived token.
  let key = try String(contentsOfFile: argument("api-key-file"), encoding: .utf8)
    .trimmingCharacters(in: .whitespacesAndNewlines)
  let token = try await Ordp_Identity_V1_Identity_Client(channel: channel).exchangeApiKey(
    .with { $0.apiKey = key })
  print("token for \(token.subject), scopes \(token.scopes.joined(separator: " "))")
  let options = CallOptions(metadata: Metadata(["authorization": "Bearer \(token.accessToken)"]))

  // 2. Three readings, one batch, acknowledged once durable.
  let analytics = Ordp_Analytics_V1_Analytics_Client(channel: channel)
  let now = Int64(Date().timeIntervalSince1970) * 1_000_000
  let times = (1...3).map { now - Int64($0) * 60_000_000 - 17_000_000 }
  let acks = try await analytics.ingest(options: options) { writer in
    try await writer.write(
      .with {
        $0.batchID = 1
        $0.series = [
          .with {
            $0.datastreamID = stream
            $0.timesMicros = times
            $0.results = [41.5, 41.7, 41.6]
          }
        ]
      })
  } onResponse: { responses in
    var all: [Ordp_Analytics_V1_IngestAck] = []
    for try await ack in responses { all.append(ack) }
    return all
  }
  for ack in acks {
    print(
      "batch \(ack.batchID): accepted \(ack.accepted), duplicates \(ack.duplicates), rejected \(ack.rejected)"
    )
  }

  // 3. Read back the minute the readings are in.
  var read = Ordp_Analytics_V1_ReadObservationsRequest()
  read.streams.datastreamIds = [stream]
  read.fromMicros = times.min()!
  read.toMicros = times.max()! + 1
  let written = Set(times)
  let observations = try await analytics.readObservations(read, options: options) { pages in
    // The stream may hold other observations in those minutes (another sensor's, the demo
    // feed's): count the ones written here.
    var count = 0
    for try await page in pages {
      for series in page.series { count += series.timesMicros.filter(written.contains).count }
    }
    return count
  }
  print("read back \(observations) of its \(times.count) readings of \(stream)")
} catch let error as RPCError {
  FileHandle.standardError.write(Data("error: \(error)\n".utf8))
  exit(Int32(64 + error.code.rawValue))
}
