# Oracle for test/unit/clouds-oracle.test.ts: what openstacksdk (Debian's python3-openstacksdk)
# makes of a set of clouds.yaml configurations. Reads a JSON list of cases on stdin, prints a JSON
# list of outcomes. Each case: {cwd, files, secure, env, cloud, region}; the files are passed
# explicitly (the search order is tested with written expectations), the environment replaced.
import json
import os
import sys

import openstack.config.loader as loader


def outcome(case):
    for key in [k for k in os.environ if k.startswith('OS_')]:
        del os.environ[key]
    os.environ.update(case['env'])
    os.chdir(case['cwd'])
    try:
        config = loader.OpenStackConfig(config_files=case['files'], secure_files=case['secure'], vendor_files=[])
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
        }
    except Exception as error:  # the kind of failure is enough: the tests compare ok/failed
        return {'ok': False, 'error': type(error).__name__}


print(json.dumps([outcome(case) for case in json.load(sys.stdin)]))
