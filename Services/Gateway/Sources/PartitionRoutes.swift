public import NIOCore
import ORDPAnalyticsAPI
import ORDPCatalogueAPI
public import ORDPRPC
import SwiftProtobuf

/// Where a call goes when its service has several partitions.
public enum Route: Sendable, Equatable {
  /// The partition of the call's town (a write, a lookup by "<town>/<slug>", a read naming
  /// towns of one partition).
  case partition(Int)
  /// Every partition, the answer from the one that has what the call names (lookups and
  /// writes by id: ids are unique across partitions).
  case find
  /// Every partition, the answers merged (cross-town reads).
  case scatter
}

/// Decides the route of a call from its request — decoded only when the service has more
/// than one partition; with one partition every call goes there undecoded.
public enum PartitionRoutes {
  typealias C = Ordp_Catalogue_V1_Catalogue.Method
  typealias A = Ordp_Analytics_V1_Analytics.Method

  /// The route of `method` with the single request `request` (nil for streaming requests),
  /// `partitionOf` naming the partition that holds a town.
  public static func route(
    _ method: MethodDescriptor, request: ByteBuffer?, partitions: Int,
    partitionOf: (String) -> Int?
  ) throws -> Route {
    if partitions == 1 { return .partition(0) }
    func town(_ town: String) throws -> Route {
      // No town: the service refuses the call, naming the field.
      if town.isEmpty { return .partition(0) }
      guard let p = partitionOf(town) else {
        throw RPCError(
          .failedPrecondition,
          "no partition holds town \"\(town.prefix(64))\" (the topology names it nowhere and has no default partition)"
        )
      }
      return .partition(p)
    }
    func towns(_ towns: [String]) -> Route? {
      let set = Set(towns.map { partitionOf($0) ?? -1 })
      guard set.count == 1, let only = set.first, only >= 0 else { return nil }
      return .partition(only)
    }
    /// "<town>/<slug>" names its town; a bare id is looked for everywhere.
    func reference(_ id: String) throws -> Route {
      guard let slash = id.firstIndex(of: "/") else { return .find }
      return try town(String(id[..<slash]))
    }
    func decode<M: SwiftProtobuf.Message>(_ type: M.Type) throws -> M {
      guard let request else { throw RPCError(.internal, "\(method.path) has no single request") }
      do { return try M(serializedBytes: Array(request.readableBytesView)) } catch {
        throw RPCError(.invalidArgument, "request: not a valid \(M.protoMessageName)")
      }
    }
    switch method.path {
    case C.createDataset.path:
      return try town(decode(Ordp_Catalogue_V1_CreateDatasetRequest.self).dataset.publisher)
    case C.updateDataset.path:
      let d = try decode(Ordp_Catalogue_V1_UpdateDatasetRequest.self).dataset
      return d.publisher.isEmpty ? try reference(d.id) : try town(d.publisher)
    case C.withdrawDataset.path:
      return try reference(decode(Ordp_Catalogue_V1_WithdrawDatasetRequest.self).id)
    case C.getDataset.path:
      return try reference(decode(Ordp_Catalogue_V1_GetDatasetRequest.self).id)
    case C.listRevisions.path:
      return try reference(decode(Ordp_Catalogue_V1_ListRevisionsRequest.self).id)
    case C.search.path:
      return towns(try decode(Ordp_Catalogue_V1_SearchRequest.self).publishers) ?? .scatter
    case C.export.path:
      let publisher = try decode(Ordp_Catalogue_V1_ExportRequest.self).publisher
      return publisher.isEmpty ? .scatter : try town(publisher)
    case C.watchChanges.path:
      _ = try decode(Ordp_Catalogue_V1_WatchChangesRequest.self)
      return .scatter
    case C.importCkan.path:
      // Each document sent to its town's partition (`ImportScatter`).
      return .scatter
    case A.createDatastream.path:
      return try town(decode(Ordp_Analytics_V1_CreateDatastreamRequest.self).datastream.owner)
    case A.updateDatastream.path:
      let d = try decode(Ordp_Analytics_V1_UpdateDatastreamRequest.self).datastream
      return d.owner.isEmpty ? .find : try town(d.owner)
    case A.getDatastream.path:
      return .find
    case A.setTownRetention.path:
      return try town(decode(Ordp_Analytics_V1_SetTownRetentionRequest.self).owner)
    case A.listDatastreams.path:
      return try streams(decode(Ordp_Analytics_V1_ListDatastreamsRequest.self).streams) ?? .scatter
    case A.latest.path:
      return try streams(decode(Ordp_Analytics_V1_LatestRequest.self).streams) ?? .scatter
    case A.aggregate.path:
      return try streams(decode(Ordp_Analytics_V1_AggregateRequest.self).streams) ?? .scatter
    case A.readObservations.path:
      return try streams(decode(Ordp_Analytics_V1_ReadObservationsRequest.self).streams) ?? .scatter
    case A.ingest.path:
      // Each batch split by its streams' partitions (`IngestScatter`).
      return .scatter
    default:
      return .partition(0)
    }

    /// A stream selection naming towns of one partition goes there; nil: every partition.
    func streams(_ selector: Ordp_Analytics_V1_StreamSelector) -> Route? {
      if !selector.owners.isEmpty, let route = towns(selector.owners) { return route }
      return nil
    }
  }
}
