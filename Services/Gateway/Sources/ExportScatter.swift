import NIOCore
import ORDPCatalogueAPI
import ORDPRPC

/// An export of every town over a partitioned catalogue: one document joined from each
/// partition's part in turn (part i of n: only the first begins the document, only the last
/// ends it, blank nodes labelled per part — the catalogue writes its part so), the chunks
/// passed on undecoded as they come, so the export streams with the caller's flow control and
/// the gateway holds no more than a chunk. Each part reflects its partition when it began. A
/// partition that fails ends the export with UNAVAILABLE naming it: a document without its
/// towns would be a silent partial answer.
enum ExportScatter {
  static func run(
    _ request: ByteBuffer, pool: BackendPool, options: CallOptions,
    write: (ByteBuffer) async throws -> Void
  ) async throws {
    let method = Ordp_Catalogue_V1_Catalogue.Method.export
    var export: Ordp_Catalogue_V1_ExportRequest
    do {
      export = try Ordp_Catalogue_V1_ExportRequest(
        serializedBytes: Array(request.readableBytesView))
    } catch {
      throw RPCError(
        .invalidArgument, "request: not a valid \(Ordp_Catalogue_V1_ExportRequest.protoMessageName)"
      )
    }
    let partitions = pool.partitions
    guard partitions.count <= 1000 else {
      throw RPCError(.failedPrecondition, "an export joins at most 1000 partitions")
    }
    export.partCount = UInt32(partitions.count)
    for (index, partition) in partitions.enumerated() {
      export.part = UInt32(index + 1)
      let own = ByteBuffer(bytes: try export.serializedBytes() as [UInt8])
      do {
        try await pool.call(partition: index, idempotent: true) { channel, attempt in
          try await channel.serverStreamingRaw(method, request: own, options: options) { stream in
            for try await chunk in stream {
              attempt.committed()
              try await write(chunk)
            }
          }
        }
      } catch let error as RPCError where PartitionFanout.isPartitionFailure(error.code) {
        throw RPCError(
          .unavailable,
          "catalogue partition \(partition.name) (\(PartitionFanout.describeTowns(partition))) did not answer its part of the export: \(error.message)"
        )
      }
    }
  }
}
