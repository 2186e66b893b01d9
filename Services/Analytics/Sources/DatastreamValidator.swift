import ORDPAnalyticsAPI
import ORDPAuth
import ORDPRPC

/// Checks a datastream as a client sent it; every problem is INVALID_ARGUMENT naming the field.
enum DatastreamValidator {
  static func invalid(_ field: String, _ problem: String) -> RPCError {
    RPCError(.invalidArgument, "\(field): \(problem)")
  }

  static func validate(
    _ input: Ordp_Analytics_V1_Datastream
  ) throws(RPCError)
    -> Ordp_Analytics_V1_Datastream
  {
    var stream = input
    if let problem = OrganisationID.problem(stream.owner) { throw invalid("owner", problem) }
    stream.name = stream.name.trimmingWhitespace
    try text(stream.name, field: "name", maximum: 200, required: true)
    try text(stream.description_p, field: "description", maximum: 4000)
    try text(stream.thing.name, field: "thing.name", maximum: 200)
    try text(stream.thing.description_p, field: "thing.description", maximum: 4000)
    if stream.thing.hasLocation {
      let location = stream.thing.location
      guard location.longitude.isFinite, (-180...180).contains(location.longitude) else {
        throw invalid("thing.location.longitude", "must be within -180…180 degrees")
      }
      guard location.latitude.isFinite, (-90...90).contains(location.latitude) else {
        throw invalid("thing.location.latitude", "must be within -90…90 degrees")
      }
    }
    guard !stream.observedProperty.isEmpty else {
      throw invalid("observed_property", "is required (e.g. \"air_temperature\")")
    }
    guard stream.observedProperty.utf8.count <= 64,
      stream.observedProperty.utf8.allSatisfy(isPropertyByte)
    else {
      throw invalid(
        "observed_property", "use a-z, 0-9, '_', '-' and '.' (at most 64), e.g. \"bicycle_count\"")
    }
    guard !stream.unit.isEmpty else {
      throw invalid("unit", "is required: a UCUM code such as \"Cel\", \"1\", \"ppm\" or \"cm\"")
    }
    guard stream.unit.utf8.count <= 32, stream.unit.utf8.allSatisfy({ $0 > 32 && $0 < 127 })
    else {
      throw invalid("unit", "a UCUM code is printable ASCII without spaces, at most 32 characters")
    }
    try text(stream.datasetID, field: "dataset_id", maximum: 200)
    if case .UNRECOGNIZED(let value) = stream.accessLevel {
      throw invalid("access_level", "unknown value \(value)")
    }
    if stream.accessLevel == .unspecified { stream.accessLevel = .public }
    if stream.grantedOrganisations.count > 100 {
      throw invalid("granted_organisations", "at most 100")
    }
    for (index, town) in stream.grantedOrganisations.enumerated() {
      if let problem = OrganisationID.problem(town) {
        throw invalid("granted_organisations[\(index)]", problem)
      }
    }
    if stream.hasRetention { try retention(stream.retention, field: "retention") }
    return stream
  }

  static func retention(
    _ retention: Ordp_Analytics_V1_Retention, field: String
  )
    throws(RPCError)
  {
    if retention.rollupDays != 0 && retention.rollupDays < retention.rawDays {
      throw invalid(
        "\(field).rollup_days",
        "rollups must outlive raw observations (\(retention.rollupDays) < raw_days \(retention.rawDays)); 0 keeps them forever"
      )
    }
    if retention.rawDays == 0 && retention.rollupDays != 0 {
      throw invalid(
        "\(field).rollup_days", "raw observations kept forever need rollups kept forever (0)")
    }
    if retention.rawDays > 36_600 || retention.rollupDays > 36_600 {
      throw invalid(field, "at most 36,600 days (0 keeps forever)")
    }
  }

  static func text(
    _ value: String, field: String, maximum: Int, required: Bool = false
  )
    throws(RPCError)
  {
    if required && value.isEmpty { throw invalid(field, "is required") }
    if value.utf8.count > maximum * 16 || value.count > maximum {
      throw invalid(field, "at most \(maximum) characters")
    }
    if value.unicodeScalars.contains(where: { $0.value < 32 && $0 != "\n" && $0 != "\t" }) {
      throw invalid(field, "contains control characters")
    }
  }

  static func isPropertyByte(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
      || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
      || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
  }
}

extension String {
  var trimmingWhitespace: String {
    var scalars = Substring(self)
    while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
    while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
    return String(scalars)
  }
}
