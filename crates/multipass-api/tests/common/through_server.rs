//! The API a scenario talks to: in process, or, with `MULTIPASS_TEST_THROUGH_SERVER` set,
//! through a real `multipass-server` over HTTPS on loopback, with a certificate from a CA
//! made for this test process and trusted by the client through its CA-file setting.

use multipass_api::config::ServerEndpoint;
use multipass_api::signer::WalletKeys;
use multipass_api::{ApiError, MultipassApi, Operations};
use multipass_domain::SessionToken;
use multipass_store::Store;
use std::sync::{Arc, OnceLock};

/// Whether this run sends every operation through the server.
pub fn through_server() -> bool {
    std::env::var_os("MULTIPASS_TEST_THROUGH_SERVER").is_some()
}

#[derive(Debug, Clone)]
pub struct TestApi {
    local: MultipassApi,
    /// The desktop's wallet keys, in the same test keyring as the API's other secrets.
    keys: WalletKeys,
    served: Arc<OnceLock<Served>>,
    /// Other instances the calls alternate with (`round_robin`), always through servers.
    peers: Arc<Vec<TestApi>>,
    next: Arc<std::sync::atomic::AtomicUsize>,
}

/// A running server over one API, and a client that trusts it.
#[derive(Debug)]
pub struct Served {
    pub client: Arc<dyn Operations>,
    pub server: multipass_server::RunningServer,
    pub endpoint: ServerEndpoint,
}

impl TestApi {
    pub fn new(local: MultipassApi) -> Self {
        Self {
            keys: WalletKeys::new(local.vault().clone()),
            local,
            served: Arc::default(),
            peers: Arc::default(),
            next: Arc::default(),
        }
    }

    /// One handle over several instances: with one, it is that instance; with more, each
    /// call goes through the next one's server in turn, as behind a load balancer.
    pub fn round_robin(mut instances: Vec<TestApi>) -> Self {
        let first = instances.remove(0);
        Self {
            peers: Arc::new(instances),
            ..first
        }
    }

    /// The API in process, for what runs on the desktop itself (pass ceremonies, exports
    /// to files) and for reaching into the store.
    pub fn local(&self) -> &MultipassApi {
        &self.local
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        self.local.store()
    }

    pub fn with_vault(self, vault: Arc<dyn multipass_api::vault::SecretVault>) -> Self {
        Self::new(self.local.with_vault(vault))
    }

    /// The desktop's wallet keys, for signing requests by hand.
    pub fn keys(&self) -> &WalletKeys {
        &self.keys
    }

    /// A wallet with a key made here, as the desktop creates one.
    pub async fn create_wallet(
        &self,
        token: &SessionToken,
        request: multipass_api::wallet::CreateWalletRequest,
    ) -> Result<multipass_api::wallet::WalletView, ApiError> {
        self.keys.create_wallet(&**self, token, request).await
    }

    /// A transfer signed here, as the desktop sends one.
    pub async fn transfer(
        &self,
        token: &SessionToken,
        request: multipass_api::wallet::TransferRequest,
    ) -> Result<multipass_api::wallet::TransferView, ApiError> {
        self.keys.transfer(&**self, token, request).await
    }

    /// An order signed here, as the desktop places one.
    pub async fn place_order(
        &self,
        token: &SessionToken,
        request: multipass_api::market::PlaceOrderRequest,
    ) -> Result<multipass_api::market::PlacedOrderView, ApiError> {
        self.keys.place_order(&**self, token, request).await
    }

    fn served(&self) -> &Served {
        self.served.get_or_init(|| serve(self.local.clone()))
    }
}

impl std::ops::Deref for TestApi {
    type Target = dyn Operations;

    fn deref(&self) -> &Self::Target {
        if !self.peers.is_empty() {
            let turn = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                % (self.peers.len() + 1);
            return match turn {
                0 => self.served().client.as_ref(),
                n => self.peers[n - 1].served().client.as_ref(),
            };
        }
        if through_server() {
            self.served().client.as_ref()
        } else {
            &self.local
        }
    }
}

/// Either kind of handle, for helpers that tests call with both.
pub trait AsOperations {
    fn operations(&self) -> &dyn Operations;
}

impl AsOperations for TestApi {
    fn operations(&self) -> &dyn Operations {
        &**self
    }
}

impl AsOperations for MultipassApi {
    fn operations(&self) -> &dyn Operations {
        self
    }
}

struct TestPki {
    pki: multipass_server::LoopbackPki,
    ca_file: tempfile::TempPath,
}

/// One CA and one server certificate (for `localhost` and 127.0.0.1) per test process.
fn pki() -> &'static TestPki {
    static PKI: OnceLock<TestPki> = OnceLock::new();
    PKI.get_or_init(|| {
        let pki = multipass_server::loopback_pki().unwrap();
        let mut ca_file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut ca_file, pki.ca_pem.as_bytes()).unwrap();
        TestPki {
            pki,
            ca_file: ca_file.into_temp_path(),
        }
    })
}

/// Serves `api` on a free loopback port.
pub fn serve(api: MultipassApi) -> Served {
    serve_on(std::net::TcpListener::bind("127.0.0.1:0").unwrap(), api)
}

/// The CA file a client must be given to trust the test servers.
pub fn test_ca_file() -> std::path::PathBuf {
    pki().ca_file.to_path_buf()
}

/// Serves `api` on `listener` (e.g. the port of a server that was stopped).
pub fn serve_on(listener: std::net::TcpListener, api: MultipassApi) -> Served {
    let server = multipass_server::serve_loopback_on(listener, Arc::new(api), &pki().pki).unwrap();
    let endpoint = ServerEndpoint {
        url: server.loopback_url().parse().unwrap(),
        ca_file: Some(test_ca_file()),
    };
    Served {
        client: multipass_client::connect_dyn(&endpoint).unwrap(),
        server,
        endpoint,
    }
}
