//! `@geoLookup`: looks the address up in a GeoIP database and fills GEO. There is no database
//! here (`SecGeoLookupDb` is not supported), so nothing is ever found: the operator never matches
//! and GEO stays empty, which is what libmodsecurity does when no database is configured. CRS
//! only reaches it when `tx.high_risk_country_codes` is set.

pub fn matches(_address: &[u8]) -> bool {
    false
}
