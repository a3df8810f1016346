# Oracle for test/unit/openstack/clouds-oracle.test.ts: what openstacksdk (Debian's python3-openstacksdk)
# makes of a set of clouds.yaml configurations. Reads a JSON list of cases on stdin, prints a JSON
# list of outcomes. Each case: {cwd, files, secure, env, cloud, region, dict}; the files are passed
# explicitly (the search order is tested with written expectations), the environment replaced.
# A case with `dict` is a cloud dict as openstack.cloud passes it: connect(**dict), which is
# get_one(**dict). `login` is the token request keystoneauth would send (POST /v3/auth/tokens),
# caught at the session before it leaves: nothing is sent anywhere.
import json
import os
import sys

import openstack.config.loader as loader
from keystoneauth1.identity import generic


class Captured(Exception):
    pass


class CapturingSession:
    """Stands in for keystoneauth's Session: the token request is captured, never sent."""

    def post(self, url, json=None, **kwargs):
        raise Captured(json)


def login(plugin):
    if isinstance(plugin, generic.BaseGenericPlugin):
        # what the generic plugin makes once discovery finds Keystone v3 (the only version we speak)
        plugin = plugin.create_plugin(None, (3, 0), plugin.auth_url)
    try:
        plugin.get_auth_ref(CapturingSession())
    except Captured as captured:
        return captured.args[0]
    return None


def outcome(case):
    for key in [k for k in os.environ if k.startswith('OS_')]:
        del os.environ[key]
    os.environ.update(case['env'])
    os.chdir(case['cwd'])
    try:
        config = loader.OpenStackConfig(config_files=case['files'], secure_files=case['secure'], vendor_files=[])
        if case.get('dict') is not None:
            region = config.get_one(**case['dict'])
        else:
            kwargs = {'region_name': case['region']} if case.get('region') else {}
            region = config.get_one(cloud=case.get('cloud'), **kwargs)
        plugin = region.get_auth()
        verify = region.get_requests_verify_args()[0]
        auth = region.config['auth']
        timeout = region.config.get('api_timeout')
        return {
            'ok': True,
            'username': auth.get('username'),
            'password': auth.get('password'),
            'region': region.region_name or None,
            'verify': verify,
            'interface': region.config.get('interface'),
            'api_timeout': float(timeout) if timeout not in (None, '') else None,
            'auth_type': region.config.get('auth_type'),
            'user_domain_id': getattr(plugin, 'user_domain_id', None),
            'user_domain_name': getattr(plugin, 'user_domain_name', None),
            'image_endpoint': region.get_endpoint('image'),
            'login': login(plugin),
        }
    except Exception as error:  # the kind of failure is enough: the tests compare ok/failed
        return {'ok': False, 'error': type(error).__name__}


print(json.dumps([outcome(case) for case in json.load(sys.stdin)]))
