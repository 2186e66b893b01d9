import ORDPAnalyticsAPI
import ORDPAuth
import ORDPRPC

/// Which datastreams a selector names, of those the caller may see, ordered by id. Streams
/// named by id must exist and be visible (NOT_FOUND otherwise, as for a missing one).
enum StreamSelection {
  static func resolve(
    _ selector: Ordp_Analytics_V1_StreamSelector, directory: StreamDirectory,
    principal: Principal?
  ) throws(RPCError) -> [StreamRecord] {
    for (field, count) in [
      ("streams.owners", selector.owners.count),
      ("streams.observed_properties", selector.observedProperties.count),
      ("streams.dataset_ids", selector.datasetIds.count),
    ] where count > 1000 {
      throw RPCError(.invalidArgument, "\(field): at most 1,000")
    }
    if selector.hasBbox {
      let box = selector.bbox
      guard [box.west, box.south, box.east, box.north].allSatisfy(\.isFinite),
        box.west <= box.east, box.south <= box.north
      else {
        throw RPCError(
          .invalidArgument, "streams.bbox: needs west ≤ east and south ≤ north (degrees)")
      }
    }
    var candidates: [StreamRecord]
    if selector.datastreamIds.isEmpty {
      candidates = directory.all().filter { AnalyticsAccess.canRead($0.datastream, principal) }
    } else {
      guard selector.datastreamIds.count <= 10_000 else {
        throw RPCError(.invalidArgument, "streams.datastream_ids: at most 10,000")
      }
      var seen = Set<String>()
      candidates = []
      for id in selector.datastreamIds where seen.insert(id).inserted {
        guard let record = directory.record(id),
          AnalyticsAccess.canRead(record.datastream, principal)
        else { throw RPCError(.notFound, "datastream \(id) not found") }
        candidates.append(record)
      }
      candidates.sort { $0.datastream.id < $1.datastream.id }
    }
    let owners = Set(selector.owners)
    let properties = Set(selector.observedProperties)
    let datasets = Set(selector.datasetIds)
    return candidates.filter { record in
      let stream = record.datastream
      if !owners.isEmpty && !owners.contains(stream.owner) { return false }
      if !datasets.isEmpty && !datasets.contains(stream.datasetID) { return false }
      if !properties.isEmpty && !properties.contains(stream.observedProperty) { return false }
      if selector.hasBbox {
        let box = selector.bbox
        guard stream.thing.hasLocation else { return false }
        let location = stream.thing.location
        return location.longitude >= box.west && location.longitude <= box.east
          && location.latitude >= box.south && location.latitude <= box.north
      }
      return true
    }
  }
}
